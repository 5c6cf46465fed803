"""The Done-when test of exercises: a short Conficker C exercise (12 TLDs, 500 names) runs
unattended on the lab. Injects fire on time; the incident and the campaign are marked and
absent from live lists; only opted-in contacts get mail, marked EXERCISE; the simulated
operators act; verification shows who complied; the score and the after-action report say
what happened (every count checked against the rows themselves)."""

from __future__ import annotations

import email
from email import policy
from typing import Any

import pytest

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.campaigns import services as campaigns
from dnscc.campaigns.models import Slice
from dnscc.exercises import report, runner, services
from dnscc.exercises.handlers import campaign_of, incident_of, registered_names
from dnscc.exercises.models import Exercise, Inject
from dnscc.incidents import services as incidents
from dnscc.outreach.models import Message
from dnscc.outreach.sinks import SmtpSink
from tests.conftest import World
from tests.exercises.conftest import ExerciseLab, make_registries

pytestmark = [pytest.mark.lab, pytest.mark.django_db(transaction=False)]

NAMES = 500
TIME_SCALE = 600.0  # ten scenario minutes a real second: T+2h is 12 s
SLACK = 5.0  # seconds between the runner being free and a due inject firing (a loaded CI)


def _decoded(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw, policy=policy.default)
    subject = str(message["Subject"] or "")
    return subject, raw.decode("utf-8", "replace")


def test_a_short_conficker_c_exercise_runs_unattended_and_its_score_says_what_happened(
    world: World, exercise_lab: ExerciseLab, outbox: SmtpSink, settings: Any
) -> None:
    tlds = exercise_lab.tlds
    opted_in = set(tlds[::2])  # half the registries take part in exercises: mail reaches them
    orgs = make_registries(tlds, exercise_lab.lab, opted_in=opted_in)
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)

    exercise = services.create_exercise(
        viewer,
        actor,
        scenario_id="conficker-c",
        parameters={"tlds": len(tlds), "names": NAMES, "registered_share": 0.05},
        time_scale=TIME_SCALE,
        seed=7,
        lab_dir=str(exercise_lab.lab.dir),
    )
    assert sorted(exercise.affected_tlds) == sorted(tlds)
    services.start(viewer, actor, exercise)
    # The runner sends the outbox between passes (a real SMTP exchange with the sink).
    exercise = runner.run(exercise, timeout=240, tick_seconds=0.1, drain=True)
    assert exercise.status == Exercise.FINISHED

    # Injects fire on time: never early, each once, and as soon as the runner is free: the
    # runner fires one inject after another, so an inject due while the one before it still
    # works (a campaign of 500 names, a notice to 12 registries) fires when that one is done.
    fired = sorted(
        exercise.injects.exclude(state=Inject.SKIPPED), key=lambda i: (i.fired_at, i.seq)
    )
    free = None
    for inject in fired:
        assert inject.state == Inject.DONE, (inject.title, inject.error)
        assert inject.attempts == 1
        assert inject.fired_at >= inject.due_at, (inject.title, "early")
        ready = max(inject.due_at, free) if free else inject.due_at
        assert (inject.fired_at - ready).total_seconds() <= SLACK, (inject.title, ready)
        free = inject.done_at

    # The incident and the campaign are the exercise's, and not in live lists.
    incident, campaign = incident_of(exercise), campaign_of(exercise)
    assert incident.exercise == exercise.pk
    assert campaign.exercise == exercise.pk
    assert campaign.names_total == NAMES
    assert incident.ref not in [
        i.ref for i in incidents.search_incidents(viewer, incidents.IncidentFilters())
    ]
    assert incident.ref in [
        i.ref for i in incidents.search_incidents(viewer, incidents.IncidentFilters(exercises=True))
    ]
    assert campaign not in list(campaigns.listed_campaigns(viewer))
    page = world.client("coordinator").get("/incidents/").content.decode()
    assert incident.ref not in page

    # Only opted-in contacts got mail, every one marked EXERCISE; the others' messages were
    # recorded as "would have sent".
    received = outbox.received.messages
    assert received
    addresses = {a for m in received for a in m["rcpt_tos"]}
    assert addresses == {f"security@nic.{t}.test" for t in opted_in}
    for mail in received:
        subject, _text = _decoded(mail["data"])
        assert subject.startswith("[EXERCISE]") or "[...]" in subject
        assert b"EXERCISE" in mail["data"]
    simulated = Message.objects.filter(exercise=exercise.pk, state=Message.SIMULATED)
    assert {m.address for m in simulated} == {
        f"security@nic.{t}.test" for t in set(tlds) - opted_in
    }
    assert all(m.subject.startswith("[EXERCISE]") for m in simulated)

    # The simulated operators acted as drawn, and verification shows who complied.
    operators = {i.organization.slug: i for i in exercise.injects.filter(source=Inject.OPERATOR)}
    assert set(operators) == {o.slug for o in orgs.values()}
    registered = registered_names(exercise)
    assert set(registered) == set(tlds)  # every registry had names to act on
    complied = {slug for slug, i in operators.items() if i.kind == "operator.comply"}
    assert complied
    assert complied != set(operators)
    for slice_ in Slice.objects.filter(campaign=campaign).select_related("organization"):
        slug = slice_.organization.slug
        if slug in complied:
            assert slice_.verified_ok == slice_.names, slug
            assert slice_.reported == slice_.names
        else:
            tld = slug.removeprefix("registry-")
            assert slice_.verified_ok == slice_.names - len(registered[tld]), slug
        if operators[slug].kind.startswith("operator.ack_") or slug in complied:
            assert slice_.acknowledged_at is not None
            via = {
                "operator.ack_portal": "portal",
                "operator.ack_api": "api",
                "operator.ack_mail": "signed-reply",
                "operator.comply": "api",
            }
            assert slice_.acknowledged_via == via[operators[slug].kind]
        else:
            assert slice_.acknowledged_at is None

    # The score says the same.
    score = exercise.score
    figures = score["figures"]
    assert figures["registries"] == len(tlds)
    assert figures["notified"] == len(tlds)
    assert figures["notified_accepted"] == len(opted_in)
    assert figures["notified_simulated"] == len(tlds) - len(opted_in)
    assert figures["acted"] == len(complied)
    acknowledged = sum(1 for i in operators.values() if i.kind != "operator.silent")
    assert figures["acknowledged"] == acknowledged
    assert figures["verified_share_of_acting"] == 1.0
    assert figures["coverage_after_last_action"] is not None
    rows = {r["organization"]: r for r in score["organizations"]}
    for slug, inject in operators.items():
        assert rows[slug]["behaviour"] == inject.params["behaviour"]
        assert (rows[slug]["acted_at"] is not None) == (slug in complied)
    verdicts = {o["key"]: o["verdict"] for o in score["objectives"]}
    assert verdicts["verified_coverage"] == "met"
    assert verdicts["time_to_all_notified"] in ("met", "missed")  # computed, not "no data"

    # The after-action report shows it: every registry, every objective, the plot; a PDF.
    html = report.html(exercise)
    for org in orgs.values():
        assert org.name in html
    for objective in score["objectives"]:
        assert objective["label"] in html
    assert "<svg" in html
    assert report.pdf(exercise).startswith(b"%PDF-")

    # The lab is back as it was: no fault, no name the exercise registered.
    assert not (exercise_lab.lab.load() or {}).get("faults")
    for tld in tlds:
        assert exercise_lab.lab.registrations(tld) == {}
