"""Constituent surveys: versions, sending through the outbox in each language, answers by
portal and signed link, reminders, response rates and minimum cell sizes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from dnscc.accounts.services import viewer_for
from dnscc.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationErrors
from dnscc.outreach.models import Message
from dnscc.risk import surveys
from dnscc.risk.models import Invitation, SurveyResponse, SurveyRound
from tests.conftest import World
from tests.risk.helpers import ACTOR, STAFF, operators, questionnaire, send, t

pytestmark = pytest.mark.django_db


def test_a_round_goes_through_the_outbox_to_each_operator_in_its_language(
    risk_world: World,
) -> None:
    questionnaire()
    orgs = operators(6)
    rnd = send(organizations=[o.slug for o in orgs])
    mails = Message.objects.filter(notice_id=rnd.notice_id, channel=Message.EMAIL)
    assert mails.count() == 6
    by_lang = {m.language: m for m in mails}
    assert set(by_lang) == {"en", "fr", "es"}
    assert by_lang["fr"].subject.startswith("[dnscc] Enquête : Annual DNS risk survey (fr)")
    inv = Invitation.objects.get(round=rnd, organization=orgs[1])
    assert (
        f"/risk/s/{inv.token}/"
        in Message.objects.get(notice_id=rnd.notice_id, organization=orgs[1]).body
    )
    # The questionnaire version is frozen by the sending: a change makes a new version.
    with pytest.raises(ConflictError, match="cannot change"):
        surveys.update_questionnaire(STAFF, ACTOR, "annual-survey", 1, title=t("Changed"))
    v2 = surveys.new_version(STAFF, ACTOR, "annual-survey", title=t("Changed"))
    assert v2.version == 2
    assert v2.frozen_at is None
    assert surveys.get_questionnaire("annual-survey", 1).title["en"] == "Annual DNS risk survey"


def test_answers_by_link_and_portal_count_towards_the_response_rate(risk_world: World) -> None:
    questionnaire()
    orgs = operators(5)
    rnd = send(organizations=[o.slug for o in orgs])
    invitations = {i.organization_id: i for i in rnd.invitations.all()}
    for org in orgs[:3]:
        surveys.answer_by_link(
            invitations[org.pk].token, {"ddos": "yes", "readiness": "4", "helper": "our CERT"}
        )
    from dnscc.accounts.services import create_user

    user = create_user("op-r3", role="operator", organization=orgs[3], password=None)
    surveys.answer_in_portal(viewer_for(user), ACTOR, rnd.pk, {"ddos": "no", "readiness": 2})
    result = surveys.results(rnd)
    assert (result["invited"], result["responded"], result["response_rate"]) == (5, 4, 0.8)
    ddos = result["answers"][0]
    assert ddos["overall"]["counts"] == {"yes": 3, "no": 1}
    assert "our CERT" not in repr(result)  # free text stays out of the aggregate
    assert SurveyResponse.objects.get(invitation__organization=orgs[3]).via == "portal"
    assert [i.round_id for i in surveys.owed_surveys(viewer_for(user))] == []


def test_an_answer_after_the_close_date_is_refused_and_nothing_kept(risk_world: World) -> None:
    questionnaire()
    orgs = operators(2)
    rnd = send(organizations=[o.slug for o in orgs])
    SurveyRound.objects.filter(pk=rnd.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    token = rnd.invitations.first().token
    with pytest.raises(ConflictError, match="closed"):
        surveys.answer_by_link(token, {"ddos": "yes"})
    assert SurveyResponse.objects.count() == 0


def test_an_organisation_outside_the_audience_cannot_answer(risk_world: World) -> None:
    questionnaire()
    orgs = operators(2)
    rnd = send(organizations=[o.slug for o in orgs])
    outsider = viewer_for(risk_world.users["outsider"])
    with pytest.raises(PermissionDenied, match="not in this survey's audience"):
        surveys.answer_in_portal(outsider, ACTOR, rnd.pk, {"ddos": "yes"})
    with pytest.raises(NotFoundError):
        surveys.answer_by_link("forged-token", {"ddos": "yes"})
    assert SurveyResponse.objects.count() == 0


def test_bad_answers_are_refused_naming_the_question(risk_world: World) -> None:
    questionnaire()
    orgs = operators(1)
    rnd = send(organizations=[o.slug for o in orgs])
    with pytest.raises(ValidationErrors) as caught:
        surveys.answer_by_link(rnd.invitations.first().token, {"readiness": 9})
    assert {e.location.field for e in caught.value.errors} == {"answers.ddos", "answers.readiness"}
    assert SurveyResponse.objects.count() == 0


def test_reminders_go_to_the_silent_only_and_the_scheduler_respects_the_interval(
    risk_world: World, settings: Any
) -> None:
    questionnaire()
    orgs = operators(3)
    rnd = send(organizations=[o.slug for o in orgs])
    surveys.answer_by_link(rnd.invitations.get(organization=orgs[0]).token, {"ddos": "no"})
    result = surveys.send_reminders(STAFF, ACTOR, rnd.pk)
    assert result["reminded"] == 2
    reminders = Message.objects.filter(kind="survey_reminder")
    assert sorted(reminders.values_list("organization__slug", flat=True)) == [
        orgs[1].slug,
        orgs[2].slug,
    ]
    settings.SURVEY_REMINDER_DAYS = 7
    assert surveys.due_reminders(ACTOR) == 0  # reminded just now
    later = timezone.now() + dt.timedelta(days=8)
    assert surveys.due_reminders(ACTOR, now=later) == 1
    rnd.refresh_from_db()
    assert rnd.reminders_sent == 2
    settings.SURVEY_MAX_REMINDERS = 2
    assert surveys.due_reminders(ACTOR, now=later + dt.timedelta(days=8)) == 0


def test_an_audience_of_nobody_or_unknown_values_is_refused(risk_world: World) -> None:
    questionnaire()
    from dnscc.core.errors import InputError

    with pytest.raises(InputError, match="unknown region"):
        send(regions=["MARS"])
    with pytest.raises(InputError, match="names no organisation"):
        send(regions=["NA"])
    assert SurveyRound.objects.count() == 0


def test_the_scheduler_enqueues_the_risk_jobs_once_per_interval(risk_world: World) -> None:
    from dnscc.risk import tasks

    first = tasks.schedule()
    assert set(first) == {tasks.REMIND_SCHEDULE, tasks.ASSETS_SCHEDULE}
    assert tasks.schedule() == []


def test_the_operator_home_lists_an_open_survey_as_owed_until_it_is_answered(
    risk_world: World,
) -> None:
    from dnscc.web.operator import owed

    questionnaire()
    rnd = send(organizations=[risk_world.org_a.slug])
    operator = viewer_for(risk_world.users["operator"])
    items = [i for i in owed(operator, risk_world.org_a) if i["kind"] == "survey"]
    assert [i["link"] for i in items] == [f"/risk/surveys/{rnd.pk}/answer/"]
    assert items[0]["what"] == "Answer the survey Annual DNS risk survey"
    page = risk_world.client("operator").get("/")
    assert f"/risk/surveys/{rnd.pk}/answer/" in page.content.decode()
    surveys.answer_in_portal(operator, ACTOR, rnd.pk, {"ddos": "no"})
    assert [i for i in owed(operator, risk_world.org_a) if i["kind"] == "survey"] == []


def test_a_region_with_a_single_respondent_is_suppressed_in_the_results_and_the_report(
    risk_world: World, coordinator: Any
) -> None:
    from dnscc.risk import assessments, report

    questionnaire()
    # Three registries in Africa, three in Europe, one alone in Latin America.
    orgs = operators(7, regions=("AF", "EU", "AF", "EU", "AF", "EU", "LAC"))
    rnd = send(organizations=[o.slug for o in orgs])  # minimum cell 3
    for inv in rnd.invitations.all():
        lonely = inv.region == "LAC"
        surveys.answer_by_link(
            inv.token, {"ddos": "yes" if lonely else "no", "readiness": "5" if lonely else "2"}
        )
    result = surveys.results(rnd)
    ddos, readiness = result["answers"][0], result["answers"][1]
    assert ddos["overall"]["counts"] == {"yes": 1, "no": 6}
    assert ddos["cells"]["LAC"] == {"suppressed": True, "n": None}
    # With only LAC hidden, AF or EU subtracted from the total would give its answer away.
    hidden = [r for r in ("AF", "EU") if readiness["cells"][r].get("suppressed")]
    assert len(hidden) == 1
    viewer, actor = coordinator
    a = assessments.create_assessment(
        viewer,
        actor,
        title="With a small survey",
        kind="baseline",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        survey_round=rnd.pk,
    )
    html = report.report_html(a)
    survey_table = html[
        html.index('id="survey"') : html.index("</table>", html.index('id="survey"'))
    ]
    header = re.findall(r"<th>([^<]*)</th>", survey_table)
    for question in ("Did a DDoS reach", "How ready are you"):
        row = next(r for r in survey_table.split("<tr>") if question in r)
        cells = dict(zip(header[2:], re.findall(r"<td>(.*?)</td>", row)[2:], strict=True))
        assert cells["LAC"] == "fewer than 3"
        assert sorted(cells.values()).count("fewer than 3") == 2
    assert "mean 5" not in survey_table


def test_a_coordinator_sends_a_round_from_the_portal_and_bad_input_sends_nothing(
    risk_world: World,
) -> None:
    questionnaire()
    operators(4, regions=("AF", "EU"))
    client = risk_world.client("coordinator")
    page = client.get("/risk/surveys/").content.decode()
    assert 'id="send-round"' in page
    assert '<option value="annual-survey">Annual DNS risk survey (v1)</option>' in page
    closes = (timezone.now() + dt.timedelta(days=14)).date().isoformat()
    form = {
        "questionnaire": "annual-survey",
        "title": "Africa, portal round",
        "closes": closes,
        "min_cell": "3",
        "regions": ["AF"],
        "kinds": ["tld_registry"],
        "resource_constrained": "",
    }
    past = client.post("/risk/surveys/", {**form, "closes": "2020-01-01"}, follow=True)
    assert "the round must close in the future" in past.content.decode()
    nobody = client.post("/risk/surveys/", {**form, "regions": ["NA"]}, follow=True)
    assert "the audience names no organisation" in nobody.content.decode()
    assert SurveyRound.objects.count() == 0
    sent = client.post("/risk/surveys/", form)
    rnd = SurveyRound.objects.get()
    assert sent["Location"] == f"/risk/surveys/{rnd.pk}/"
    # Africa's registries: the world's Alpha Registry and two of the four operators.
    assert sorted(rnd.invitations.values_list("organization__slug", flat=True)) == [
        "alpha-registry",
        "registry-00",
        "registry-02",
    ]
    assert (rnd.min_cell, rnd.closes_at.date().isoformat()) == (3, closes)
    assert Message.objects.filter(notice_id=rnd.notice_id, channel=Message.EMAIL).count() == 3
    assert surveys.get_questionnaire("annual-survey", 1).frozen_at is not None
