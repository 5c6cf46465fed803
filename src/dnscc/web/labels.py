"""Human labels for the codes the center stores: states, kinds, outcomes, audit actions.

The database, the API, the CLI's JSON and CSV exports keep the codes (`not_registered`,
`advisory_update`, `disclose.view`): they are what other programs read. People read the
labels: every template shows a code through the `human` filter (dnscc.web.templatetags
.portal), which looks it up here.

A vocabulary is a name and a mapping code -> label. Those of a model field with choices
are read from the model (one source for the label); the others are written out below. A
code missing from its vocabulary still reads as words (`fallback`), never as a code with
underscores; tests/web/test_labels.py checks that every audit action the source records
and every outreach message kind has a label of its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Outreach message kinds (one per template in dnscc/outreach/messages/).
MESSAGE_KINDS = {
    "advisory": "Advisory",
    "advisory_update": "Advisory update",
    "campaign_reminder": "Campaign reminder",
    "campaign_slice": "Campaign slice (names to act on)",
    "contact_verification": "Contact verification",
    "followup": "Follow-up",
    "incident_notice": "Incident notice",
    "incident_reminder": "Incident reminder",
    "notice": "Notice",
    "report_confirmation": "Report confirmation",
    "report_decision": "Decision on a report",
    "sla_escalation": "SLA escalation",
    "survey_invitation": "Survey invitation",
    "survey_reminder": "Survey reminder",
}

# Audit actions (accounts.audit.record's second argument). `disclose.HOW` is generated.
AUDIT_ACTIONS = {
    "advisory.created": "Advisory drafted",
    "advisory.published": "Advisory published",
    "advisory.revised": "Advisory revision published",
    "advisory.revision_started": "Advisory revision started",
    "advisory.submitted": "Advisory submitted for review",
    "advisory.updated": "Advisory edited",
    "alert.acknowledge": "Alert acknowledged",
    "alert.incident": "Alert taken into an incident",
    "alert.open": "Alert opened",
    "alert.resolve": "Alert resolved",
    "audit.anchored": "Audit log anchored outside the database",
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in refused",
    "auth.logout": "Signed out",
    "auth.2fa_enrolled": "Second factor enrolled",
    "auth.2fa_enrol_failed": "Second factor enrolment refused",
    "auth.2fa_verified": "Second factor given",
    "auth.2fa_failed": "Second factor refused",
    "auth.2fa_removed": "Second factor removed",
    "auth.2fa_recovery_codes": "New recovery codes made",
    "auth.2fa_reset": "Second factors reset by an administrator",
    "auth.password_changed": "Password changed",
    "auth.user": "Account changed",
    "campaign.create": "Campaign created",
    "exercise.archive": "Exercise archived",
    "exercise.create": "Exercise created",
    "exercise.finish": "Exercise finished",
    "exercise.hot_wash": "Exercise hot wash recorded",
    "exercise.improvement": "Exercise improvement item added",
    "exercise.improvement_done": "Exercise improvement item done",
    "exercise.inject_add": "Exercise inject added by the controller",
    "exercise.pause": "Exercise paused",
    "exercise.plan": "Exercise plan version saved",
    "exercise.resume": "Exercise resumed",
    "exercise.skip": "Exercise inject skipped",
    "exercise.start": "Exercise started",
    "campaign.deliver": "Campaign slices delivered",
    "campaign.end": "Campaign ended",
    "campaign.names": "Campaign names loaded",
    "campaign.outcomes": "Campaign outcomes reported",
    "campaign.slice_acknowledged": "Campaign slice acknowledged",
    "campaign.slice_escalated": "Campaign slice escalated",
    "campaign.verified": "Campaign verified by DNS",
    "campaign.verification_not_run": "Campaign verification not run (servers not allowed)",
    "cli": "Command run",
    "contact.create": "Contact added",
    "contact.delete": "Contact removed",
    "contact.update": "Contact changed",
    "contact.verification_sent": "Contact verification sent",
    "contact.verified": "Contact verified",
    "directory.import_contacts": "Contacts imported",
    "directory.import_root_zone": "Root zone imported",
    "directory.import_iana_rootdb": "IANA root zone database imported",
    "incident.attach": "Incident attachment added",
    "incident.create": "Incident opened",
    "incident.desk_set": "Duty desk shift changed",
    "incident.handover": "Shift handover written",
    "incident.handover_acknowledged": "Shift handover acknowledged",
    "incident.link": "Incidents linked",
    "incident.mail": "Mail added to an incident",
    "incident.mail_refused": "Incoming mail refused",
    "incident.mail_signature": "Incoming mail signature checked",
    "incident.note": "Incident note added",
    "incident.notify": "Incident parties notified",
    "incident.party_ack": "Party acknowledged",
    "incident.party_add": "Party added",
    "incident.party_remove": "Party removed",
    "incident.party_status": "Party status changed",
    "incident.report": "Report received",
    "incident.report_grouped": "Report grouped with another",
    "incident.report_link": "Report linked to an incident",
    "incident.report_merge": "Report merged into an incident",
    "incident.report_open": "Report opened as an incident",
    "incident.report_reject": "Report rejected",
    "incident.report_submit": "Report submitted",
    "incident.reports_purged": "Unconfirmed reports purged",
    "incident.scope_confirm": "Scope change confirmed",
    "incident.sla_breached": "SLA deadline missed",
    "incident.sla_escalated": "SLA breach escalated",
    "incident.status_note": "Status note to a party",
    "incident.task_add": "Incident task added",
    "incident.task_done": "Incident task done",
    "incident.update": "Incident changed",
    "monitoring.probe": "Zone probed on request",
    "organization.confirm": "Organisation confirmed",
    "organization.create": "Organisation created",
    "organization.merge": "Organisations merged",
    "organization.link_manager": "Manager's TLDs linked to their operator",
    "organization.split": "Organisation split",
    "organization.update": "Organisation edited",
    "organization.vet": "Organisation vetted",
    "outreach.acknowledged": "Message acknowledged",
    "outreach.dsn": "Delivery report received",
    "outreach.followups": "Follow-ups checked",
    "outreach.followups_queued": "Follow-ups queued",
    "outreach.notice_queued": "Notice queued",
    "outreach.retried": "Message retried",
    "risk.action_add": "Risk treatment action added",
    "risk.action_done": "Risk treatment action done",
    "risk.assessment_comment": "Assessment commented",
    "risk.assessment_comments": "Assessment opened for comments",
    "risk.assessment_freeze": "Assessment version started",
    "risk.assessment_sign": "Assessment signed off",
    "risk.assessment_summary": "Assessment summary changed",
    "risk.asset_criticality": "Asset criticality set",
    "risk.assets_sync": "Assets brought up to date",
    "risk.catalogue_load": "Threat catalogue loaded",
    "risk.coverage_add": "Capability coverage added",
    "risk.coverage_remove": "Capability coverage removed",
    "risk.create": "Risk added",
    "risk.csirt_link": "CSIRT linked to a TLD",
    "risk.questionnaire_create": "Questionnaire created",
    "risk.questionnaire_update": "Questionnaire changed",
    "risk.questionnaire_version": "Questionnaire version started",
    "risk.referral": "Incident referred",
    "risk.referral_status": "Referral status changed",
    "risk.retire": "Risk retired",
    "risk.survey_answer": "Survey answered",
    "risk.survey_remind": "Survey reminders sent",
    "risk.survey_send": "Survey sent",
    "risk.update": "Risk changed",
    "metrics.transparency_draft": "Transparency report drafted",
    "metrics.transparency_publish": "Transparency report published",
    "metrics.transparency_discard": "Transparency report draft discarded",
    "rootinfo.ingest": "Root server statistics read",
    "sharing.import": "Shared intelligence imported",
    "sharing.publish": "Published to a trust group",
    "token.create": "API token created",
    "token.revoke": "API token revoked",
    "user.create": "Account created",
    "worker.ping": "Worker checked",
}

# How something was disclosed: `disclose.view` reads "Shown (page)".
DISCLOSURES = {
    "api": "Shown (API)",
    "cli": "Shown (command line)",
    "csaf": "Served as CSAF",
    "csv": "Exported (CSV)",
    "download": "Downloaded",
    "export": "Exported",
    "json": "Exported (JSON)",
    "list": "Listed",
    "rpz": "Exported (RPZ)",
    "top": "Shown (top list)",
    "view": "Shown (page)",
}

TIMELINE_KINDS = {
    "created": "Opened",
    "report": "Report",
    "state": "Status",
    "triage": "Triage",
    "party": "Party",
    "message": "Message",
    "ack": "Acknowledgement",
    "finding": "Finding",
    "alert": "Alert",
    "note": "Note",
    "task": "Task",
    "attachment": "Attachment",
    "link": "Link",
    "sla": "SLA",
    "escalation": "Escalation",
    "handover": "Handover",
    "mail": "Mail",
    "campaign": "Campaign",
}

SEVERITIES = {
    "info": "Info",
    "notice": "Notice",
    "warning": "Warning",
    "error": "Error",
    "critical": "Critical",
    "ok": "OK",
    "untested": "Not tested",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
}

ALERT_STATES = {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"}

FIXED: dict[str, dict[str, str]] = {
    "message_kind": MESSAGE_KINDS,
    "audit_action": AUDIT_ACTIONS,
    "timeline": TIMELINE_KINDS,
    "severity": SEVERITIES,
    "alert_state": ALERT_STATES,
    "channel": {"email": "Email", "webhook": "Webhook"},
    "message_event": {
        "queued": "Queued",
        "held": "Held",
        "flagged": "Flagged",
        "sent": "Sent",
        "accepted": "Accepted by the receiving server",
        "dead": "Given up",
        "retried": "Retried",
        "bounced": "Bounced",
        "reply": "Reply received",
        "acknowledged": "Acknowledged",
        "followup": "Follow-up sent",
        "reminder": "Reminder",
    },
    "object_type": {
        "accounts.user": "Account",
        "accounts.apitoken": "API token",
        "directory.organization": "Organisation",
        "directory.contact": "Contact",
        "directory.tld": "TLD",
        "monitoring.alert": "Alert",
        "monitoring.finding": "Finding",
        "incidents.incident": "Incident",
        "incidents.party": "Party",
        "incidents.report": "Report",
        "incidents.handover": "Handover",
        "incidents.desk": "Duty desk",
        "incidents.attachment": "Attachment",
        "incidents.timeline": "Incident timeline",
        "incidents.sla": "SLA figures",
        "incidents.slabreach": "SLA breach",
        "outreach.notice": "Notice",
        "outreach.message": "Message",
        "outreach.advisory": "Advisory",
        "outreach.demo_mailbox": "Demo mailbox",
        "campaigns.campaign": "Campaign",
        "campaigns.slice": "Campaign slice",
        "campaigns.namelist": "Name list",
    },
    "scope": {
        "names": "Domain names",
        "tlds": "TLDs",
        "ips": "IP addresses",
        "resolvers": "Resolvers",
    },
    "via": {
        "portal": "the portal",
        "notice": "a notice",
        "link": "the acknowledgement link",
        "api": "the API",
        "mail": "mail",
        "cli": "the command line",
        "scheduler": "the scheduler",
        "sla": "the SLA check",
        "outbox": "the outbox (a message accepted, failed or retried)",
    },
}

# Vocabularies read from model choices: name -> (app label, model, field).
FROM_MODELS = {
    "message_state": ("outreach", "Message", "state"),
    "message_status": ("outreach", "Message", "state"),
    "security": ("outreach", "Message", "security"),
    "advisory_status": ("outreach", "Advisory", "status"),
    "advisory_category": ("outreach", "Advisory", "category"),
    "party_status": ("incidents", "Party", "status"),
    "party_role": ("incidents", "Party", "role"),
    "incident_status": ("incidents", "Incident", "status"),
    "report_state": ("incidents", "Report", "state"),
    "report_source": ("incidents", "Report", "source"),
    "breach_kind": ("incidents", "SlaBreach", "kind"),
    "dns_type": ("incidents", "Incident", "dns_type"),
    "campaign_status": ("campaigns", "Campaign", "status"),
    "campaign_action": ("campaigns", "NameList", "action"),
    "slice_state": ("campaigns", "Slice", "state"),
    "outcome": ("campaigns", "Target", "outcome"),
    "audit_kind": ("accounts", "AuditEvent", "kind"),
    "region": ("accounts", "Account", "desks"),
}


def fallback(code: Any) -> str:
    """A code as words: `not_registered` -> "Not registered", `a.b_c` -> "A: b c"."""
    text = str(code if code is not None else "").strip()
    if not text:
        return ""
    head, dot, tail = text.partition(".")
    words = re.sub(r"[_\-]+", " ", tail if dot else head).strip()
    if dot:
        return f"{re.sub(r'[_-]+', ' ', head).capitalize()}: {words}"
    return words[:1].upper() + words[1:]


@cache
def _from_model(name: str) -> dict[str, str]:
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    from dnscc.accounts.models import REGION_CHOICES

    if name == "region":
        return {code: label for code, label in REGION_CHOICES}
    app, model, field = FROM_MODELS[name]
    try:
        choices = apps.get_model(app, model)._meta.get_field(field).choices or []
    except (LookupError, FieldDoesNotExist):  # an app not installed: words only
        return {}
    return {str(code): str(label) for code, label in choices}


def vocabulary(name: str) -> dict[str, str]:
    """The code -> label mapping of a vocabulary ({} for an unknown name)."""
    if name in FIXED:
        return FIXED[name]
    if name in FROM_MODELS:
        return _from_model(name)
    return {}


def label(code: Any, name: str = "") -> str:
    """The human label of `code` in vocabulary `name` (words made from the code when the
    vocabulary does not know it)."""
    if code is None or code == "":
        return ""
    text = str(code)
    if name in ("message_state", "message_status") and text == "acknowledged":
        return "Acknowledged"  # Message.status: acknowledged beats every delivery state
    if name == "audit_action" and text.startswith("disclose."):
        how = text.partition(".")[2]
        return DISCLOSURES.get(how, f"Disclosed ({fallback(how).lower()})")
    found = vocabulary(name).get(text) if name else None
    return found if found is not None else fallback(text)
