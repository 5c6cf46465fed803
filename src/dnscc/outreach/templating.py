"""Message templates per kind and language, and the choice of language per recipient.

A template is a file `messages/KIND.LANG.txt`: the first line is `Subject: ...`, then a
blank line, then the body. Placeholders are `{name}`; only plain names are allowed (no
attribute or index access), and a placeholder without a value is an error: such a message
is never sent, the caller gets an InputError naming the variable. Pure: no Django.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dnscc.core.errors import InputError, Location, NotFoundError

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Rendered:
    kind: str
    language: str
    subject: str
    body: str


@dataclass(frozen=True)
class Template:
    kind: str
    language: str
    subject: str
    body: str

    def variables(self) -> set[str]:
        return _fields(self.subject) | _fields(self.body)

    def render(self, context: dict[str, object]) -> Rendered:
        missing = sorted(self.variables() - set(context))
        if missing:
            raise InputError(
                f"template {self.kind}.{self.language} needs {', '.join(missing)}",
                location=Location(field=missing[0]),
                hint="give a value for every placeholder; nothing was sent",
            )
        values = {k: "" if v is None else str(v) for k, v in context.items()}
        subject = self.subject.format_map(values)
        # A subject is one header line: a value with a newline would inject headers.
        subject = " ".join(subject.split())
        return Rendered(self.kind, self.language, subject, self.body.format_map(values))


def _fields(text: str) -> set[str]:
    names = set()
    for _literal, name, _spec, _conv in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier():
            raise InputError(
                f"placeholder {{{name}}} is not a plain name",
                location=Location(field="template"),
                hint="use {name}; attribute and index access are not allowed",
            )
        names.add(name)
    return names


def parse_template(kind: str, language: str, text: str) -> Template:
    head, sep, body = text.partition("\n\n")
    if not sep or not head.startswith("Subject:") or "\n" in head:
        raise InputError(
            f"template {kind}.{language} must start with one 'Subject: ...' line and a blank line",
            location=Location(file=f"{kind}.{language}.txt", line=1),
        )
    template = Template(kind, language, head.removeprefix("Subject:").strip(), body)
    template.variables()  # refuse bad placeholders now, not at send time
    return template


@cache
def load(kind: str, language: str) -> Template:
    path = MESSAGES_DIR / f"{kind}.{language}.txt"
    if not kind.replace("_", "").isalnum() or not language.replace("-", "").isalnum():
        raise NotFoundError(f"no template {kind}.{language}")
    if not path.is_file():
        raise NotFoundError(f"no template {kind}.{language}")
    return parse_template(kind, language, path.read_text(encoding="utf-8"))


@cache
def available() -> dict[str, list[str]]:
    """kind -> languages with a translation (the files ship with the code: read once)."""
    kinds: dict[str, list[str]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.txt")):
        kind, _, language = path.stem.rpartition(".")
        kinds.setdefault(kind, []).append(language)
    return kinds


def choose_language(kind: str, preferred: list[str], *, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The first preferred language (BCP 47; 'fr-CA' matches 'fr') with a translation."""
    have = available().get(kind, [])
    for tag in preferred:
        tag = (tag or "").strip().lower()
        for candidate in (tag, tag.split("-")[0]):
            if candidate in have:
                return candidate
    return fallback


def render(kind: str, language: str, context: dict[str, object]) -> Rendered:
    return load(kind, language).render(context)
