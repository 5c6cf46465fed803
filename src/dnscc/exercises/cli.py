"""`dnscc exercise scenarios|plan|create|list|show|start|run|pause|resume|skip|inject|finish|
archive|score|report|hotwash|improve|compare`.

Like the other commands it acts with the machine's authority (staff, audited as
`cli:<login>`), or as a named account with `--as USER`; `--json` prints what a script wants.
`dnscc exercise run EX` is the runner's loop in the foreground (the scheduler's job does the
same in the background): it fires each inject as it falls due and stops when the exercise
is over. A bad scenario file exits 65 with each problem's line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location, NotFoundError


def register(sub: Any) -> None:
    p = sub.add_parser("exercise", help="contingency plans and exercises on the lab")
    esub = p.add_subparsers(dest="exercise_command", metavar="ACTION", required=True)

    def action(name: str, text: str, func: Any) -> argparse.ArgumentParser:
        a: argparse.ArgumentParser = esub.add_parser(name, help=text)
        a.add_argument("--as", dest="as_user", metavar="USER", help="act as this account")
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=func)
        return a

    action("scenarios", "the scenario library", cmd_scenarios)
    a = action("check", "check a scenario (or plan) file: every problem with its line", cmd_check)
    a.add_argument("file")
    a.add_argument("--plan", action="store_true", help="the file is a plan")
    a = action("plan", "a scenario's plan (latest version), or save FILE as the next", cmd_plan)
    a.add_argument("scenario", nargs="?", default="")
    a.add_argument("--version", type=int, default=0)
    a.add_argument("--save", metavar="FILE", help="a plan's TOML: becomes the next version")
    a.add_argument("--note", default="")
    a = action("create", "make an exercise from a scenario on the running lab", cmd_create)
    a.add_argument("scenario", help="a shipped scenario's id, or a scenario file")
    a.add_argument("--title", default="")
    a.add_argument("--tlds", type=int, help="affected TLDs (default: the scenario's)")
    a.add_argument("--names", type=int, help="names (a generator scenario)")
    a.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another parameter (repeatable)",
    )
    a.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="ORG",
        help="an organisation taking part with real people (opted in)",
    )
    a.add_argument("--mode", default="unattended", choices=["unattended", "live"])
    a.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="scenario seconds per real second (60: a minute a second)",
    )
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--lab-dir", default="", help="the lab (default: the center's)")
    a = action("list", "exercises", cmd_list)
    a.add_argument("--scenario", default="")
    a.add_argument("--status", default="")
    for name, text, func in (
        ("show", "one exercise with its injects", cmd_show),
        ("start", "start the clock", cmd_start),
        ("pause", "pause the clock", cmd_pause),
        ("resume", "resume", cmd_resume),
        ("finish", "finish now: verify, clear the lab, score", cmd_finish),
        ("score", "the score (objectives, per registry, per region)", cmd_score),
    ):
        a = action(name, text, func)
        a.add_argument("ref")
    a = action("run", "run the exercise in the foreground until it is over", cmd_run)
    a.add_argument("ref")
    a.add_argument("--start", action="store_true", help="start it first")
    a.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    a.add_argument(
        "--send",
        action="store_true",
        help="send the outbox between passes (no outbox worker needed beside it)",
    )
    a = action("skip", "skip an inject still due", cmd_skip)
    a.add_argument("ref")
    a.add_argument("inject", type=int, help="the inject's id (dnscc exercise show)")
    a = action("inject", "add an inject: KIND at TIME with KEY=VALUE fields", cmd_inject)
    a.add_argument("ref")
    a.add_argument("kind")
    a.add_argument("--at", default="now", help="now, seconds, or T+90s")
    a.add_argument("--title", default="")
    a.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = action("archive", "write the finished exercise's JSON archive", cmd_archive)
    a.add_argument("ref")
    a.add_argument("-o", "--output", default="-", help="file (default: standard output)")
    a = action("report", "the after-action report (HTML or PDF)", cmd_report)
    a.add_argument("ref")
    a.add_argument("--format", choices=["html", "pdf"], default="html")
    a.add_argument("-o", "--output", required=True)
    a = action("hotwash", "record a hot wash", cmd_hotwash)
    a.add_argument("ref")
    a.add_argument("--well", default="")
    a.add_argument("--badly", default="")
    a.add_argument("--improve", default="")
    a = action("improve", "add an item to the improvement plan", cmd_improve)
    a.add_argument("ref")
    a.add_argument("text")
    a.add_argument("--owner", default="")
    a.add_argument("--due", default="", help="YYYY-MM-DD")
    a.add_argument("--objective", default="")
    a = action("compare", "the finished exercises of a scenario side by side", cmd_compare)
    a.add_argument("scenario")


def _who(args: argparse.Namespace) -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.core.tlp import Role, Viewer

    if args.as_user:
        user = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            raise NotFoundError(f"no user {args.as_user!r}")
        return viewer_for(user), audit.Actor(f"cli:{user.get_username()}", user.pk)
    return Viewer(user_id=0, role=Role.ADMIN), audit.Actor(f"cli:{getpass.getuser()}")


def _setup(args: argparse.Namespace) -> tuple[Any, Any]:
    django_setup()
    return _who(args)


def _pairs(items: list[str], field: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{item!r} is not KEY=VALUE", location=Location(field=field))
        try:
            found[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            found[key.strip()] = value
    return found


def _exercise(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    viewer, actor = _setup(args)
    from dnscc.exercises import services

    return viewer, actor, services.get_exercise(viewer, args.ref)


def _print(args: argparse.Namespace, exercise: Any) -> int:
    from dnscc.exercises.api import describe

    found = describe(exercise)
    if args.json:
        print_json(found)
        return 0
    print(f"{found['ref']}  {found['status']:<9} {found['scenario']}  {found['title']}")
    print(
        f"  TLDs: {', '.join(found['affected_tlds'][:20])}"
        + (
            f" and {len(found['affected_tlds']) - 20} more"
            if len(found["affected_tlds"]) > 20
            else ""
        )
    )
    for i in found.get("injects", []):
        who = f" [{i['organization']}]" if i["organization"] else ""
        print(
            f"  {i['id']:>6} T+{i['at_seconds']:>8.1f}s {i['state']:<8} {i['kind']:<24} "
            f"{i['title']}{who}" + (f"  ({i['error']})" if i["error"] else "")
        )
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.exercises import services

    rows = services.library()
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']:<28} v{r['version']}  {', '.join(r['threat_events']):<30} {r['title']}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.exercises import scenario as sc
    from dnscc.exercises import services

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it: {exc}", location=Location(file=str(path))) from None
    if args.plan:
        head = sc.load_plan(text, file=path.name)
        data = sc.load_plan(
            text, file=path.name, scenario=services.scenario(head["plan"]["scenario"])
        )
        summary = f"plan of {head['plan']['scenario']}: {len(data['steps'])} steps"
    else:
        data = sc.load_scenario(text, file=path.name, threat_events=services.threat_event_ids())
        summary = f"scenario {data['scenario']['id']}: {len(data['injects'])} injects"
    print_json({"ok": True, "summary": summary}) if args.json else print(f"ok: {summary}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    viewer, actor = _setup(args)
    from dnscc.exercises import services

    if args.save:
        path = Path(args.save)
        plan = services.save_plan(
            viewer, actor, path.read_text(encoding="utf-8"), file=path.name, note=args.note
        )
    else:
        if not args.scenario:
            raise InputError("name the scenario", location=Location(field="scenario"))
        plan = services.get_plan(viewer, args.scenario, args.version or None)
    if args.json:
        print_json({"scenario": plan.scenario, "version": plan.version, "content": plan.content})
        return 0
    print(f"{plan.scenario} plan v{plan.version}: {plan.title}")
    for step in plan.content.get("steps", []):
        when = (
            f"T+{step['at_seconds']:g}s" if step.get("at_seconds") is not None else "when decided"
        )
        auto = " (automatic when unattended)" if step.get("auto") else ""
        print(f"  {when:<14} {step.get('role', ''):<12} {step['action']:<17} {step['title']}{auto}")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    viewer, actor = _setup(args)
    from dnscc.exercises import services

    params = _pairs(args.set, "set")
    if args.tlds is not None:
        params["tlds"] = args.tlds
    if args.names is not None:
        params["names"] = args.names
    path = Path(args.scenario)
    text = path.read_text(encoding="utf-8") if path.suffix == ".toml" and path.exists() else ""
    exercise = services.create_exercise(
        viewer,
        actor,
        scenario_id="" if text else args.scenario,
        scenario_text=text,
        title=args.title,
        parameters=params,
        participants=args.participant,
        mode=args.mode,
        time_scale=args.time_scale,
        seed=args.seed,
        lab_dir=args.lab_dir,
    )
    return _print(args, exercise)


def cmd_list(args: argparse.Namespace) -> int:
    viewer, _actor = _setup(args)
    from dnscc.exercises import services
    from dnscc.exercises.api import describe

    rows = [
        describe(e, injects=False)
        for e in services.list_exercises(viewer, scenario_id=args.scenario, status=args.status)
    ]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['ref']}  {r['status']:<9} {r['scenario']:<26} {r['title']}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    return _print(args, _exercise(args)[2])


def cmd_start(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    return _print(args, services.start(viewer, actor, exercise))


def cmd_pause(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    return _print(args, services.pause(viewer, actor, exercise))


def cmd_resume(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    return _print(args, services.resume(viewer, actor, exercise))


def cmd_finish(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    return _print(args, services.finish(viewer, actor, exercise))


def cmd_run(args: argparse.Namespace) -> int:
    from dnscc.exercises import runner, services

    viewer, actor, exercise = _exercise(args)
    if args.start and exercise.status == exercise.DRAFT:
        exercise = services.start(viewer, actor, exercise)
    exercise = runner.run(exercise, timeout=args.timeout, drain=args.send)
    return _print(args, exercise)


def cmd_skip(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    inject = services.skip(viewer, actor, exercise, args.inject)
    print_json({"id": inject.pk, "state": inject.state}) if args.json else print(
        f"inject {inject.seq} skipped"
    )
    return 0


def cmd_inject(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    data = {**_pairs(args.set, "set"), "kind": args.kind, "at": args.at}
    if args.title:
        data["title"] = args.title
    inject = services.add_inject(viewer, actor, exercise, data)
    found = {"id": inject.pk, "seq": inject.seq, "at_seconds": inject.at_seconds}
    print_json(found) if args.json else print(f"inject {inject.seq} at T+{inject.at_seconds:g}s")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    text = json.dumps(services.archive(viewer, actor, exercise), indent=2, default=str)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"{exercise.ref} archived to {args.output}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from dnscc.exercises import scoring
    from dnscc.exercises.report import formatted

    _viewer, _actor, exercise = _exercise(args)
    found = exercise.score or scoring.score(exercise)
    if args.json:
        print_json(found)
        return 0
    for o in found["objectives"]:
        row = formatted(o)
        print(
            f"  {row['verdict']:<8} {row['label']:<52} {row['value_text']:>12}  target "
            f"{row['target_text']}"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from dnscc.accounts import audit
    from dnscc.exercises import report

    _viewer, actor, exercise = _exercise(args)
    out = Path(args.output)
    if args.format == "pdf":
        out.write_bytes(report.pdf(exercise))
    else:
        out.write_text(report.html(exercise), encoding="utf-8")
    audit.disclosed(
        actor, "exercises.exercise", ids=[exercise.pk], how="export", format=args.format
    )
    print(f"{exercise.ref}: after-action report written to {out}")
    return 0


def cmd_hotwash(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    services.add_hot_wash(
        viewer,
        actor,
        exercise,
        {"went_well": args.well, "went_badly": args.badly, "to_improve": args.improve},
    )
    print(f"{exercise.ref}: hot wash recorded")
    return 0


def cmd_improve(args: argparse.Namespace) -> int:
    from dnscc.exercises import services

    viewer, actor, exercise = _exercise(args)
    item = services.add_improvement(
        viewer,
        actor,
        exercise,
        {"text": args.text, "owner": args.owner, "due_date": args.due, "objective": args.objective},
    )
    print(f"{exercise.ref}: improvement {item.pk} added")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.exercises import report

    found = report.compare(args.scenario)
    if args.json:
        print_json(
            {
                "scenario": args.scenario,
                "exercises": [e.ref for e in found["exercises"]],
                "rows": [
                    {"objective": r["key"], "values": [c and c["value"] for c in r["cells"]]}
                    for r in found["rows"]
                ],
            }
        )
        return 0
    print("objective".ljust(52) + "".join(e.ref.rjust(14) for e in found["exercises"]))
    for row in found["rows"]:
        print(
            row["label"][:51].ljust(52)
            + "".join((c["value_text"] if c else "—").rjust(14) for c in row["cells"])
        )
    return 0
