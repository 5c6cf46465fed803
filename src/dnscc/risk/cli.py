"""`dnscc risk catalogue|assets|register|threats|questionnaire|survey|gaps|refer|assessment`.

Like the other commands it acts with the machine's authority (staff, recorded in the audit
log as `cli:<login>`), or as a named account with `--as USER`. `--json` prints what a script
wants.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location, NotFoundError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "risk", help="risk framework: catalogue, register, surveys, gaps, assessments"
    )
    rsub = p.add_subparsers(dest="risk_command", metavar="AREA", required=True)

    def group(name: str, text: str) -> Any:
        g = rsub.add_parser(name, help=text)
        return g.add_subparsers(dest=f"risk_{name}", metavar="ACTION", required=True)

    def action(parent: Any, name: str, text: str, func: Any) -> argparse.ArgumentParser:
        a: argparse.ArgumentParser = parent.add_parser(name, help=text)
        a.add_argument("--as", dest="as_user", metavar="USER", help="act as this account")
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=func)
        return a

    g = group("catalogue", "the threat catalogue (NIST SP 800-30 sources and events)")
    a = action(
        g, "load", "load the shipped catalogue, or FILE of the same shape", cmd_catalogue_load
    )
    a.add_argument("file", nargs="?")
    action(g, "list", "threat events with their sources and evidence", cmd_catalogue_list)

    g = group("assets", "assets drawn from the directory")
    action(g, "sync", "make the assets match the directory", cmd_assets_sync)
    a = action(g, "list", "assets", cmd_assets_list)
    a.add_argument("--kind", default="")
    a.add_argument("--region", default="")
    a = action(
        g, "criticality", "override an asset's criticality (with a reason)", cmd_assets_criticality
    )
    a.add_argument("key")
    a.add_argument("level", help="very low ... very high, or '' to clear the override")
    a.add_argument("--reason", required=True)

    g = group("register", "the risk register")
    action(g, "list", "risks", cmd_register_list)
    a = action(g, "show", "one risk with its history", cmd_register_show)
    a.add_argument("ref")
    a = action(g, "add", "identify (and analyse) a risk", cmd_register_add)
    a.add_argument("--event", required=True, help="threat event id, e.g. ddos-tld")
    a.add_argument("--asset", default="", help="tld:NAME, org:SLUG, root-zone, ...")
    a.add_argument("--class", dest="asset_class", default="", help="an asset class instead")
    a.add_argument("--title", default="")
    a.add_argument("--description", default="")
    a.add_argument("--likelihood", default="")
    a.add_argument("--impact", default="")
    a.add_argument("--owner", default="")
    a.add_argument("--tlp", default="AMBER")
    a.add_argument("--reason", default="")
    a = action(
        g, "update", "change scores, decision, treatment (with a reason)", cmd_register_update
    )
    a.add_argument("ref")
    for flag in (
        "likelihood",
        "impact",
        "residual-likelihood",
        "residual-impact",
        "decision",
        "treatment",
        "title",
        "description",
        "owner",
        "tlp",
    ):
        a.add_argument(f"--{flag}")
    a.add_argument("--reason", default="")
    a.add_argument("--version", type=int)
    a = action(g, "action", "add a treatment action with its due date", cmd_register_action)
    a.add_argument("ref")
    a.add_argument("--title", required=True)
    a.add_argument("--due", required=True, help="YYYY-MM-DD")
    a.add_argument("--owner", default="")
    a = action(g, "retire", "take a risk out of the register", cmd_register_retire)
    a.add_argument("ref")
    a.add_argument("--reason", required=True)

    a = action(
        rsub, "threats", "the threat survey of a period (range, severity, frequency)", cmd_threats
    )
    a.add_argument("--start", default="", help="YYYY-MM-DD (default: a year before --end)")
    a.add_argument("--end", default="", help="YYYY-MM-DD (default: today)")

    g = group("questionnaire", "versioned questionnaires")
    action(g, "list", "questionnaires", cmd_questionnaire_list)
    a = action(
        g,
        "create",
        "a questionnaire from a JSON file {key, title, languages, questions}",
        cmd_questionnaire_create,
    )
    a.add_argument("file")
    a = action(
        g,
        "new-version",
        "the next version of a questionnaire (FILE: title and questions)",
        cmd_questionnaire_version,
    )
    a.add_argument("key")
    a.add_argument("file", nargs="?")

    g = group("survey", "survey rounds sent through the outbox")
    action(g, "list", "rounds with their response rates", cmd_survey_list)
    a = action(g, "send", "send a questionnaire to an audience", cmd_survey_send)
    a.add_argument("--questionnaire", required=True)
    a.add_argument("--version", type=int)
    a.add_argument("--title", required=True)
    a.add_argument("--closes", required=True, help="YYYY-MM-DD (end of that day, UTC)")
    a.add_argument("--region", action="append", default=[])
    a.add_argument("--kind", action="append", default=[])
    a.add_argument("--language", action="append", default=[])
    a.add_argument("--organization", action="append", default=[])
    a.add_argument("--resource-constrained", choices=["yes", "no"])
    a.add_argument("--min-cell", type=int, default=5)
    a = action(
        g,
        "results",
        "aggregate answers (minimum cell sizes) and response rates",
        cmd_survey_results,
    )
    a.add_argument("round", type=int)
    a.add_argument("--by", default="region", choices=["region", "kind"])
    a = action(g, "remind", "remind the organisations that have not answered", cmd_survey_remind)
    a.add_argument("round", type=int)

    g = group("gaps", "who already responds: inventory and gap matrix")
    action(g, "matrix", "the gap matrix and its uncovered cells", cmd_gaps_matrix)
    a = action(
        g, "cover", "record that an organisation covers an event in a region", cmd_gaps_cover
    )
    a.add_argument("organization")
    a.add_argument("event")
    a.add_argument("region", help="AF, AP, EU, LAC, NA, or * for every region")
    a.add_argument("capabilities", nargs="+", help="detect coordinate mitigate recover")
    a.add_argument("--note", default="")
    a = action(g, "link-csirt", "link a ccTLD to its national CSIRT", cmd_gaps_link)
    a.add_argument("tld")
    a.add_argument("csirt")

    g = group("refer", "incidents referred to an existing responder")
    action(g, "list", "referrals", cmd_refer_list)
    a = action(
        g, "create", "refer an incident (default: its ccTLD's national CSIRT)", cmd_refer_create
    )
    a.add_argument("incident")
    a.add_argument("--to", dest="responder", default="")
    a.add_argument("--reason", required=True)
    a = action(g, "status", "the responder's status of a referral", cmd_refer_status)
    a.add_argument("referral", type=int)
    a.add_argument("status", help="sent, accepted, declined, resolved")
    a.add_argument("--note", default="")

    g = group("assessment", "baseline and annual assessments")
    action(g, "list", "assessments", cmd_assessment_list)
    a = action(
        g, "create", "freeze the register, surveys and gaps into a draft", cmd_assessment_create
    )
    a.add_argument("--title", required=True)
    a.add_argument("--kind", required=True, choices=["baseline", "annual"])
    a.add_argument("--start", required=True, help="YYYY-MM-DD")
    a.add_argument("--end", required=True, help="YYYY-MM-DD")
    a.add_argument("--tlp", default="AMBER")
    a.add_argument("--survey", type=int, help="the survey round it includes")
    a.add_argument("--reviewer", action="append", default=[], help="a user named to comment")
    a.add_argument("--summary", default="")
    for name, func, text in (
        ("show", cmd_assessment_show, "one assessment with its comparison"),
        ("open", cmd_assessment_open, "open a draft for comments from its audience"),
        ("sign", cmd_assessment_sign, "sign off after the comments"),
        ("new-version", cmd_assessment_version, "freeze the same period again"),
    ):
        a = action(g, name, text, func)
        a.add_argument("id", type=int)
    a = action(g, "comment", "comment on an assessment open for comments", cmd_assessment_comment)
    a.add_argument("id", type=int)
    a.add_argument("text")
    a = action(g, "report", "write the report as HTML or PDF", cmd_assessment_report)
    a.add_argument("id", type=int)
    a.add_argument("--format", choices=["html", "pdf"], default="pdf")
    a.add_argument("-o", "--output", required=True)


def _who(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from django.contrib.auth import get_user_model

    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.core.tlp import Role, Viewer

    if args.as_user:
        user = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            raise NotFoundError(f"no user {args.as_user!r}")
        return viewer_for(user), audit.Actor(f"cli:{user.get_username()}", user.pk), user
    return Viewer(user_id=0, role=Role.ADMIN), audit.Actor(f"cli:{getpass.getuser()}"), None


def _setup(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    django_setup()
    return _who(args)


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{value!r} is not a date", location=Location(field=field), hint="YYYY-MM-DD"
        ) from None


def _json_file(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror}", location=Location(file=path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not JSON: {exc}", location=Location(file=path)) from None


def _out(args: argparse.Namespace, data: Any, lines: list[str]) -> int:
    if args.json:
        print_json(data)
    else:
        for line in lines:
            print(line)
    return 0


# --- catalogue, assets -------------------------------------------------------------------


def cmd_catalogue_load(args: argparse.Namespace) -> int:
    _, actor, _ = _setup(args)
    from dnscc.risk import catalogue

    result = catalogue.load_catalogue(actor, args.file)
    return _out(
        args,
        result,
        [
            f"{result['file']}: {result['created']['events']} new event(s), "
            f"{result['updated']['events']} updated, {result['created']['sources']} new source(s)"
        ],
    )


def cmd_catalogue_list(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.risk import catalogue

    rows = [catalogue.describe(e) for e in catalogue.events(include_retired=True)]
    return _out(
        args,
        rows,
        [
            f"{r['key']:<26} {r['relevance']:<10} {r['name']}  "
            f"[{', '.join(s['type'] for s in r['sources'])}]"
            for r in rows
        ],
    )


def cmd_assets_sync(args: argparse.Namespace) -> int:
    _, actor, _ = _setup(args)
    from dnscc.risk import assets

    result = assets.sync_assets(actor)
    return _out(args, result, [", ".join(f"{k} {v}" for k, v in result.items())])


def cmd_assets_list(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.risk import assets
    from dnscc.risk.models import Asset

    assets.ensure_assets()
    qs = Asset.objects.filter(retired_at__isnull=True)
    if args.kind:
        qs = qs.filter(kind=args.kind)
    if args.region:
        qs = qs.filter(region=args.region.upper())
    rows = [assets.describe(a) for a in qs]
    return _out(
        args,
        rows,
        [
            f"{r['key']:<32} {r['kind']:<18} {r['region'] or '-':<4} {r['criticality']}"
            for r in rows
        ],
    )


def cmd_assets_criticality(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import assets

    a = assets.set_criticality(viewer, actor, args.key, level=args.level, reason=args.reason)
    return _out(args, assets.describe(a), [f"{a.key}: criticality {a.effective_criticality}"])


# --- register -----------------------------------------------------------------------------


def _risk_line(r: dict[str, Any]) -> str:
    return (
        f"{r['ref']}  {r['level'] or 'not analysed':<10} {r['score'] or ''!s:>3}  "
        f"{r['stage']:<10} {r['title']}"
    )


def cmd_register_list(args: argparse.Namespace) -> int:
    viewer, _, _ = _setup(args)
    from dnscc.risk import register

    rows = [register.describe(r) for r in register.visible_risks(viewer)]
    return _out(args, rows, [_risk_line(r) for r in rows] or ["no risks"])


def cmd_register_show(args: argparse.Namespace) -> int:
    viewer, _, _ = _setup(args)
    from dnscc.risk import register

    r = register.describe(register.get_risk(viewer, args.ref), history=True)
    lines = [
        _risk_line(r),
        f"  event {r['event']}, asset {r['asset'] or r['asset_class']}, TLP:{r['tlp']}",
    ]
    lines += [
        f"  {h['at'][:16]} {h['actor']}: {h['changes']} ({h['reason']})" for h in r["history"]
    ]
    return _out(args, r, lines)


def cmd_register_add(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.risk import register

    risk = register.create_risk(
        viewer,
        actor,
        event=args.event,
        asset=args.asset,
        asset_class=args.asset_class,
        title=args.title,
        description=args.description,
        likelihood=args.likelihood,
        impact=args.impact,
        owner=args.owner,
        tlp=args.tlp,
        reason=args.reason,
        user=user,
    )
    r = register.describe(risk)
    return _out(args, r, [_risk_line(r)])


def cmd_register_update(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import register

    data = {
        field: getattr(args, field)
        for field in (
            "likelihood",
            "impact",
            "residual_likelihood",
            "residual_impact",
            "decision",
            "treatment",
            "title",
            "description",
            "owner",
            "tlp",
        )
        if getattr(args, field) is not None
    }
    if not data:
        raise InputError(
            "nothing to change", location=Location(field="likelihood"), hint="see --help"
        )
    risk = register.update_risk(
        viewer, actor, args.ref, data, reason=args.reason, version=args.version
    )
    r = register.describe(risk)
    return _out(args, r, [_risk_line(r)])


def cmd_register_action(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import register

    a = register.add_action(
        viewer, actor, args.ref, title=args.title, due_date=args.due, owner=args.owner
    )
    return _out(args, {"id": a.pk}, [f"action {a.pk} due {a.due_date}"])


def cmd_register_retire(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import register

    r = register.describe(register.retire_risk(viewer, actor, args.ref, reason=args.reason))
    return _out(args, r, [f"{r['ref']} retired"])


# --- threat survey ------------------------------------------------------------------------


def cmd_threats(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.risk.threat_survey import threat_survey

    end = _date(args.end, "end") if args.end else dt.date.today()
    start = _date(args.start, "start") if args.start else end - dt.timedelta(days=364)
    data = threat_survey(start, end)
    lines = [f"threat survey {start} to {end}: {data['totals']}"]
    for key, row in sorted(
        data["events"].items(), key=lambda kv: -kv[1]["incidents"] - kv[1]["findings"]
    ):
        lines.append(
            f"  {key:<26} incidents {row['incidents']:>5} "
            f"(critical {row['severity']['critical']}), findings {row['findings']:>7} "
            f"on {row['finding_zones']} zone(s), campaign names {row['campaign_names']}"
        )
    return _out(args, data, lines)


# --- questionnaires and surveys -------------------------------------------------------------


def cmd_questionnaire_list(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.risk import surveys
    from dnscc.risk.models import Questionnaire

    rows = [surveys.describe_questionnaire(q) for q in Questionnaire.objects.all()]
    return _out(
        args,
        rows,
        [
            f"{r['key']} v{r['version']} {'(sent, frozen)' if r['frozen'] else '(draft)'} "
            f"{len(r['questions'])} question(s) in {', '.join(r['languages'])}"
            for r in rows
        ],
    )


def cmd_questionnaire_create(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import surveys

    data = _json_file(args.file)
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", location=Location(file=args.file))
    q = surveys.create_questionnaire(
        viewer,
        actor,
        key=data.get("key", ""),
        title=data.get("title") or {},
        questions=data.get("questions"),
        languages=data.get("languages"),
    )
    return _out(args, surveys.describe_questionnaire(q), [f"{q} created"])


def cmd_questionnaire_version(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import surveys

    data = _json_file(args.file) if args.file else {}
    q = surveys.new_version(
        viewer, actor, args.key, title=data.get("title"), questions=data.get("questions")
    )
    return _out(args, surveys.describe_questionnaire(q), [f"{q} created"])


def cmd_survey_list(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.risk import surveys
    from dnscc.risk.models import SurveyRound

    rows = [surveys.describe_round(r) for r in SurveyRound.objects.select_related("questionnaire")]
    return _out(
        args,
        rows,
        [
            f"{r['id']:>4} {r['title']} ({r['questionnaire']} v{r['version']}): "
            f"{r['responded']}/{r['invited']} "
            f"answered, {'open' if r['open'] else 'closed'} (closes {r['closes_at'][:10]})"
            for r in rows
        ],
    )


def cmd_survey_send(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.risk import surveys

    closes = dt.datetime.combine(_date(args.closes, "closes"), dt.time(23, 59), tzinfo=dt.UTC)
    audience = {
        "regions": args.region,
        "kinds": args.kind,
        "languages": args.language,
        "organizations": args.organization,
        "resource_constrained": None
        if args.resource_constrained is None
        else args.resource_constrained == "yes",
    }
    rnd, queued = surveys.send_round(
        viewer,
        actor,
        questionnaire=args.questionnaire,
        version=args.version,
        title=args.title,
        audience=audience,
        closes_at=closes,
        min_cell=args.min_cell,
        user=user,
    )
    data = {**surveys.describe_round(rnd), "queued": queued}
    lines = [
        f"round {rnd.pk}: {data['invited']} organisation(s) invited, "
        f"{queued['messages']} message(s) queued"
    ]
    if queued["unreachable"]:
        lines.append(f"  unreachable (no contact): {', '.join(queued['unreachable'][:20])}")
    return _out(args, data, lines)


def cmd_survey_results(args: argparse.Namespace) -> int:
    viewer, _, _ = _setup(args)
    from dnscc.risk import surveys

    data = surveys.results(surveys.get_round(viewer, args.round), by=args.by)
    lines = [
        f"{data['title']}: {data['responded']}/{data['invited']} answered "
        f"(rate {data['response_rate']})"
    ]
    for group, cell in data["rates"].items():
        lines.append(f"  {group:<8} {cell['responded']}/{cell['invited']}")
    for item in data["answers"]:
        lines.append(f"  {item['id']}: {item['overall']}")
    return _out(args, data, lines)


def cmd_survey_remind(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.risk import surveys

    result = surveys.send_reminders(viewer, actor, args.round, user=user)
    return _out(args, result, [f"reminded {result['reminded']} organisation(s)"])


# --- gaps and referrals --------------------------------------------------------------------


def cmd_gaps_matrix(args: argparse.Namespace) -> int:
    _setup(args)
    from dnscc.risk import gaps

    m = gaps.matrix()
    lines = ["event".ljust(26) + " ".join(r.ljust(10) for r in m["regions"])]
    for event in m["events"]:
        lines.append(
            event.ljust(26) + " ".join(m["state"][event][r].ljust(10) for r in m["regions"])
        )
    lines.append(f"{len(m['gaps'])} uncovered cell(s)")
    return _out(args, m, lines)


def cmd_gaps_cover(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import gaps

    rows = gaps.add_coverage(
        viewer,
        actor,
        organization=args.organization,
        event=args.event,
        region=args.region,
        capabilities=args.capabilities,
        note=args.note,
    )
    return _out(
        args, [r.pk for r in rows], [f"{len(rows)} coverage entr{'y' if len(rows) == 1 else 'ies'}"]
    )


def cmd_gaps_link(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import gaps

    link = gaps.link_csirt(viewer, actor, tld=args.tld, csirt=args.csirt)
    return _out(
        args,
        {"tld": link.tld.name, "csirt": link.csirt.slug},
        [f".{link.tld.name} -> {link.csirt.name}"],
    )


def cmd_refer_list(args: argparse.Namespace) -> int:
    viewer, _, _ = _setup(args)
    from dnscc.risk import gaps

    rows = [gaps.describe_referral(r) for r in gaps.referrals(viewer)]
    return _out(
        args,
        rows,
        [f"{r['id']:>4} {r['incident']} -> {r['responder_name']}: {r['status']}" for r in rows],
    )


def cmd_refer_create(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import gaps

    r = gaps.describe_referral(
        gaps.refer_incident(
            viewer, actor, incident=args.incident, responder=args.responder, reason=args.reason
        )
    )
    return _out(args, r, [f"referral {r['id']}: {r['incident']} -> {r['responder_name']}"])


def cmd_refer_status(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import gaps

    r = gaps.describe_referral(
        gaps.set_referral_status(viewer, actor, args.referral, status=args.status, note=args.note)
    )
    return _out(args, r, [f"referral {r['id']}: {r['status']}"])


# --- assessments ----------------------------------------------------------------------------


def _assessment_line(a: dict[str, Any]) -> str:
    return (
        f"{a['id']:>4} {a['title']} v{a['version']} ({a['kind']}, {a['period_start']} to "
        f"{a['period_end']}): {a['status']}"
    )


def cmd_assessment_list(args: argparse.Namespace) -> int:
    viewer, _, _ = _setup(args)
    from dnscc.risk import assessments

    rows = [assessments.describe(a) for a in assessments.visible_assessments(viewer)]
    return _out(args, rows, [_assessment_line(a) for a in rows] or ["no assessments"])


def cmd_assessment_create(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.risk import assessments

    a = assessments.create_assessment(
        viewer,
        actor,
        title=args.title,
        kind=args.kind,
        period_start=_date(args.start, "start"),
        period_end=_date(args.end, "end"),
        tlp=args.tlp,
        survey_round=args.survey,
        reviewers=args.reviewer,
        summary=args.summary,
        user=user,
    )
    return _out(args, assessments.describe(a), [_assessment_line(assessments.describe(a))])


def _show(args: argparse.Namespace, a: Any) -> int:
    from dnscc.risk import assessments

    d = assessments.describe(a)
    c = d["comparison"] or {}
    lines = [_assessment_line(d)]
    if c:
        r = c["risks"]
        lines.append(
            f"  risks: {len(r['up'])} up, {len(r['down'])} down, {len(r['new'])} new, "
            f"{len(r['retired'])} retired; coverage +{len(c['coverage']['gained'])} "
            f"-{len(c['coverage']['lost'])}"
        )
    return _out(args, d, lines)


def cmd_assessment_show(args: argparse.Namespace) -> int:
    viewer, _, _ = _setup(args)
    from dnscc.risk import assessments

    return _show(args, assessments.get_assessment(viewer, args.id))


def cmd_assessment_open(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import assessments

    return _show(args, assessments.open_comments(viewer, actor, args.id))


def cmd_assessment_sign(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import assessments

    return _show(args, assessments.sign_off(viewer, actor, args.id))


def cmd_assessment_version(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import assessments

    return _show(args, assessments.new_version(viewer, actor, args.id))


def cmd_assessment_comment(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.risk import assessments

    c = assessments.add_comment(viewer, actor, args.id, args.text)
    return _out(args, {"author": c.author, "at": c.at.isoformat()}, [f"comment by {c.author}"])


def cmd_assessment_report(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.accounts import audit
    from dnscc.risk import assessments, report

    a = assessments.get_assessment(viewer, args.id)
    data = report.report_pdf(a) if args.format == "pdf" else report.report_html(a).encode()
    Path(args.output).write_bytes(data)
    audit.disclosed(actor, "risk.assessment", ids=[a.pk], how="export", format=args.format)
    return _out(
        args, {"file": args.output, "bytes": len(data)}, [f"{args.output}: {len(data)} bytes"]
    )
