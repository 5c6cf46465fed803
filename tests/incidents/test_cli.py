"""`dnscc incident ...`: the same services from the command line, exit codes from the
error classes, --json for scripts."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from django.utils import timezone

from dnscc import cli
from dnscc.incidents.models import Attachment, Incident, Party, TimelineEntry
from dnscc.outreach.models import Message
from tests.conftest import World


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["incident", *argv])
    return code, out.getvalue(), err.getvalue()


def create(*extra: str) -> dict[str, Any]:
    code, out, err = run(
        "create",
        "--title",
        "Broken glue at .alpha",
        "--type",
        "broken-delegation",
        "--tlds",
        ".alpha,bravo",
        "--json",
        *extra,
    )
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_create_show_and_list_an_incident_from_the_command_line(world: World) -> None:
    data = create()
    assert {p["organization"] for p in data["parties"]} == {"alpha-registry", "bravo-registry"}
    code, out, _ = run("show", data["ref"])
    assert code == 0
    assert "Broken glue at .alpha" in out
    assert "alpha-registry" in out
    code, out, _ = run("list", "--json")
    assert [i["ref"] for i in json.loads(out)] == [data["ref"]]


def test_bad_scope_entries_exit_65_naming_the_field_and_index(world: World) -> None:
    code, _, err = run("create", "--title", "x", "--tlds", "alpha,a..b", "--ips", "nope")
    assert code == 65
    assert "scope.tlds[1]" in err
    assert "scope.ips[0]" in err
    assert "Traceback" not in err
    assert not Incident.objects.exists()


def test_a_stale_version_exits_75_with_a_conflict(world: World) -> None:
    data = create()
    ref = data["ref"]
    assert run("update", ref, "--version", "1", "--status", "open")[0] == 0
    code, _, err = run("update", ref, "--version", "1", "--title", "late")
    assert code == 75
    assert "reload" in err


def test_party_notify_note_task_link_and_replay(world: World, tmp_path: Path) -> None:
    data = create()
    ref = data["ref"]
    assert run("party", ref, "--add", world.csirt.slug, "--role", "expert")[0] == 0
    code, out, _ = run("notify", ref, "--message", "Fix the glue.", "--json")
    assert code == 0
    assert json.loads(out)["parties"] == 3
    assert Message.objects.filter(kind="incident_notice").count() == 2  # the CSIRT: no contact
    alpha = Party.objects.get(organization=world.org_a)
    code, out, _ = run(
        "party", ref, "--set", str(alpha.pk), "--status", "mitigated", "--version", "2"
    )
    assert code == 0, out
    assert Party.objects.get(pk=alpha.pk).status_changed_via == "cli"
    assert run("note", ref, "Called their NOC.")[0] == 0
    code, out, _ = run("task", ref, "--title", "Verify glue", "--json")
    task = json.loads(out)
    assert run("task", ref, "--done", str(task["id"]), "--version", "1")[0] == 0
    other = create()
    assert run("link", ref, other["ref"], "--relation", "duplicate")[0] == 0
    evidence = tmp_path / "dig.txt"
    evidence.write_text("alpha. NS ns1.nic.alpha.\n")
    assert run("attach", ref, str(evidence))[0] == 0
    assert Attachment.objects.get().filename == "dig.txt"
    code, out, _ = run("replay", ref, "--json")
    kinds = [e["kind"] for e in json.loads(out)]
    assert kinds[0] == "created"
    assert {"party", "message", "note", "task", "link", "attachment"} <= set(kinds)
    assert len(kinds) == TimelineEntry.objects.filter(incident__ref=ref).count()


def test_an_unknown_incident_exits_66_and_an_operator_sees_only_its_own_party(
    world: World,
) -> None:
    assert run("show", "DNSCC-2000-0001")[0] == 66
    data = create()
    Party.objects.filter(incident__ref=data["ref"]).update(notified_at=timezone.now())
    code, out, _ = run("show", data["ref"], "--as", "op_a", "--json")
    assert code == 0
    assert [p["organization"] for p in json.loads(out)["parties"]] == ["alpha-registry"]
    code, _, err = run("note", data["ref"], "sneaky", "--as", "op_a")
    assert code == 77
    assert "staff" in err


def test_a_red_incident_needs_a_named_author(world: World) -> None:
    code, _, err = run("create", "--title", "secret", "--tlp", "RED")
    assert code == 65
    assert "named author" in err
    data = create("--tlp", "RED", "--as", "coord1")
    assert run("show", data["ref"])[0] == 66  # the machine is not its author
    assert run("show", data["ref"], "--as", "coord1")[0] == 0
