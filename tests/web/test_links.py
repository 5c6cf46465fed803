"""No link leads nowhere: every internal link of every page a coordinator and an operator
can reach, followed from the home page, answers; and every repository document a page
names exists."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from tests.conftest import World
from tests.web.seed import busy

ROOT = Path(__file__).resolve().parents[2]
HREF = re.compile(r'href="([^"]*)"')
MAX_PAGES = 400
PER_PATH = 3  # pages of one list (?page=2, filters) beyond which the walk does not go


def walk(client: Client) -> tuple[dict[str, int], list[str]]:
    """Every internal page reachable by links from /: {url: status}, and the broken ones."""
    seen: dict[str, int] = {}
    per_path: Counter[str] = Counter()
    todo = ["/"]
    broken: list[str] = []
    while todo and len(seen) < MAX_PAGES:
        url = todo.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code >= 400 or (
            response.status_code == 302 and response["Location"].startswith("/login/")
        ):
            broken.append(f"{url}: {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in HREF.findall(response.content.decode()):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            if not link.startswith("/") or link.startswith("//") or link.startswith("/static/"):
                continue
            path = urlsplit(link).path
            if link in seen or link in todo or per_path[path] >= PER_PATH:
                continue
            per_path[path] += 1
            todo.append(link)
    return seen, broken


@pytest.mark.parametrize("role", ["coordinator", "operator"])
def test_every_internal_link_of_every_page_answers(world: World, role: str) -> None:
    busy(world)
    seen, broken = walk(world.client(role))
    assert len(seen) > (25 if role == "coordinator" else 8), sorted(seen)
    assert not broken, f"links that lead nowhere for {role}: {broken}"


def test_every_repository_document_a_page_or_message_names_exists() -> None:
    """What people read (pages, messages); a module's docstring is the developers' own."""
    named: set[str] = set()
    for path in (ROOT / "src" / "dnscc").rglob("*"):
        if path.suffix == ".html" or (path.suffix == ".txt" and path.parent.name == "messages"):
            named |= set(re.findall(r"\bdocs/[\w./-]+\.md\b", path.read_text(errors="replace")))
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"documents named but not in the repository: {missing}"
