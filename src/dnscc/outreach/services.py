"""Outbox services: queue messages with the change that causes them, record what senders
and recipients report, acknowledgements, dead letters, follow-ups, inbound mail.

Writers call these inside their own transaction (`notify`, `queue_contact_verification`),
so a message row exists exactly when its cause does. Senders (outreach.sender) claim rows
with a compare-and-set and report back through `record_outcome`.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core import exercise_mark
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.tlp import TLP, Labelled, Viewer, can_see
from dnscc.directory import constrained
from dnscc.directory.models import Contact, Organization
from dnscc.outreach import delivery, dsn, pgp, templating, tracking, webhooks
from dnscc.outreach.models import Message, MessageEvent, Notice
from dnscc.outreach.signals import message_acknowledged

log = logging.getLogger(__name__)


# -- signed links and secrets ---------------------------------------------------------


def _mac(purpose: str, value: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{purpose}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def ack_signature(key: str) -> str:
    return _mac("ack", key)[:32]


def ack_url(key: str) -> str:
    return f"{settings.BASE_URL}/outreach/ack/{key}/{ack_signature(key)}/"


def bounce_address(key: str) -> str:
    return f"bounces+{key}@{settings.OUTREACH_BOUNCE_DOMAIN}"


# -- queueing -------------------------------------------------------------------------


@dataclass
class Queued:
    """What `notify` queued, and what it could not."""

    notice: Notice
    messages: int = 0
    held: int = 0
    flagged: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # org slugs without any channel
    # An exercise's notice: messages recorded as "would have sent" (contacts not opted in),
    # and the organisations that only such messages reached.
    simulated_messages: int = 0
    simulated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        found = {
            "notice": self.notice.pk,
            "messages": self.messages,
            "held": self.held,
            "flagged": self.flagged,
            "unreachable": self.unreachable,
        }
        if self.notice.exercise is not None:
            found["simulated_messages"] = self.simulated_messages
            found["simulated"] = self.simulated
        return found


def _event(
    message: Message | int, event: str, detail: str = "", at: datetime | None = None
) -> None:
    MessageEvent.objects.create(
        message_id=message if isinstance(message, int) else message.pk,
        at=at or timezone.now(),
        event=event,
        detail=detail[:500],
    )


def _email_security(contact: Contact) -> tuple[str, str, str | None]:
    """(security, state, flag) for mail to `contact` under the unusable-key policy."""
    if not contact.pgp_key.strip():
        return Message.SIGNED, Message.QUEUED, None
    check = pgp.check_recipient_key(contact.pgp_key)
    if check.usable:
        return Message.ENCRYPTED, Message.QUEUED, None
    flag = f"recipient key {contact.pgp_fingerprint or ''} {check.problem}".replace("  ", " ")
    if settings.OUTREACH_UNUSABLE_KEY_POLICY == "hold":
        return Message.SIGNED, Message.HELD, flag
    return Message.SIGNED, Message.QUEUED, flag


def _recipient_context(org: Organization, contact: Contact, key: str) -> dict[str, object]:
    return {
        "organization": org.name,
        "contact_name": contact.name,
        "ack_url": ack_url(key),
        "center": "dnscc",
    }


def notify(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    kind: str,
    context: dict[str, Any],
    organizations: Iterable[Organization],
    tlp: TLP = TLP.AMBER,
    source: tuple[str, str] = ("", ""),
    requires_ack: bool = True,
    user: Any = None,
    channels: tuple[str, ...] = (Message.EMAIL, Message.WEBHOOK),
    per_organization: dict[int, dict[str, Any]] | None = None,
    exercise: int | None = None,
) -> Queued:
    """Queue one notice to every contact channel of `organizations`, each in its language.

    Call inside the caller's transaction. A template with a missing variable raises
    InputError before anything is written: such a notice is never partly sent.
    `per_organization` (organisation id -> context) is merged over `context` for that
    organisation's messages (an incident's deadline in each organisation's time zone).

    `exercise` (an exercise's id) marks the notice and its messages: subject and body say
    EXERCISE (core.exercise_mark), and only contacts who opted in to exercises
    (`Contact.exercise_opt_in`) are sent anything; the others' messages are recorded in
    state `simulated` ("would have sent") and never sent. `Queued.simulated` lists the
    organisations only such messages reached.
    """
    per_organization = per_organization or {}
    if not viewer.is_staff:
        raise PermissionDenied("Only center staff may send notices.")
    if tlp is TLP.RED:
        raise InputError(
            "a TLP:RED notice cannot go to organisations",
            location=Location(field="tlp"),
            hint="RED is for named individuals; use AMBER+STRICT for an organisation",
        )
    orgs = list(organizations)
    # Render once per language with placeholders for the per-recipient values, so that a
    # missing variable is found before any row is written.
    languages = set()
    for org in orgs:
        languages.add(templating.choose_language(kind, list(org.languages or [])))
    languages.add(templating.DEFAULT_LANGUAGE)
    per_keys = {key: "" for extra in per_organization.values() for key in extra}
    probe = {
        **context,
        **per_keys,
        "organization": "",
        "contact_name": "",
        "ack_url": "",
        "center": "",
    }
    for language in languages:
        templating.render(kind, language, probe)

    now = timezone.now()
    with transaction.atomic():
        notice = Notice.objects.create(
            kind=kind,
            tlp=tlp.value,
            context=context,
            source_type=source[0],
            source_id=str(source[1]),
            requires_ack=requires_ack,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            exercise=exercise,
        )
        result = Queued(notice)
        rows: list[Message] = []
        contacts = Contact.objects.filter(organization__in=orgs).order_by("pk")
        by_org: dict[int, list[Contact]] = {}
        for contact in contacts:
            by_org.setdefault(contact.organization_id, []).append(contact)
        base_context = context
        unreachable_ids: list[int] = []
        for org in orgs:
            reachable = False
            real = False  # something will actually be sent (not only simulated)
            context = {**base_context, **per_organization.get(org.pk, {})}
            for contact in by_org.get(org.pk, []):
                language = templating.choose_language(
                    kind, [*(org.languages or []), contact.language]
                )
                if Message.EMAIL in channels and contact.email:
                    key = Message._meta.get_field("key").get_default()
                    rendered = templating.render(
                        kind, language, {**context, **_recipient_context(org, contact, key)}
                    )
                    security, state, flag = _email_security(contact)
                    if exercise is not None and not contact.exercise_opt_in:
                        state = Message.SIMULATED
                    real = real or state != Message.SIMULATED
                    rows.append(
                        Message(
                            key=key,
                            notice=notice,
                            kind=kind,
                            channel=Message.EMAIL,
                            organization=org,
                            contact=contact,
                            address=contact.email,
                            host=contact.email.rpartition("@")[2].lower(),
                            language=language,
                            subject=rendered.subject,
                            body=rendered.body,
                            security=security,
                            state=state,
                            flags=[flag] if flag else [],
                            next_attempt_at=None if state == Message.SIMULATED else now,
                            exercise=exercise,
                        )
                    )
                    reachable = True
                    if flag:
                        result.flagged.append(
                            {"organization": org.slug, "contact": contact.pk, "flag": flag}
                        )
                if Message.WEBHOOK in channels and contact.webhook_url:
                    key = Message._meta.get_field("key").get_default()
                    rendered = templating.render(
                        kind, language, {**context, **_recipient_context(org, contact, key)}
                    )
                    state = Message.QUEUED
                    if exercise is not None and not contact.exercise_opt_in:
                        state = Message.SIMULATED
                    real = real or state != Message.SIMULATED
                    payload = {"kind": kind, "tlp": tlp.value, **_jsonable(context)}
                    if exercise is not None:
                        payload["exercise"] = exercise_mark.ref_of(exercise)
                    rows.append(
                        Message(
                            key=key,
                            notice=notice,
                            kind=kind,
                            channel=Message.WEBHOOK,
                            organization=org,
                            contact=contact,
                            address=contact.webhook_url,
                            host=webhooks.url_host(contact.webhook_url),
                            language=language,
                            subject=rendered.subject,
                            body=rendered.body,
                            payload=payload,
                            security=Message.PLAIN,
                            state=state,
                            next_attempt_at=None if state == Message.SIMULATED else now,
                            exercise=exercise,
                        )
                    )
                    reachable = True
            if not reachable:
                result.unreachable.append(org.slug)
                unreachable_ids.append(org.pk)
            elif not real:
                result.simulated.append(org.slug)
        if exercise is not None:
            for row in rows:
                row.subject = exercise_mark.mark_subject(row.subject)[:300]
                row.body = exercise_mark.mark_body(row.body, exercise)
        if unreachable_ids:
            Notice.objects.filter(pk=notice.pk).update(unreachable=unreachable_ids)
            notice.unreachable = unreachable_ids
        created = _insert_messages(rows)
        # "queued" is the row's created_at (see `timeline`); only what needs saying is an event.
        MessageEvent.objects.bulk_create(
            [
                MessageEvent(
                    message=m,
                    at=now,
                    event="held" if m.state == Message.HELD else "flagged",
                    detail="; ".join(m.flags),
                )
                for m in created
                if m.flags or m.state == Message.HELD
            ]
            + [
                MessageEvent(
                    message=m,
                    at=now,
                    event="simulated",
                    detail="exercise: the contact did not opt in; would have sent, not sent",
                )
                for m in created
                if m.state == Message.SIMULATED
            ],
            batch_size=500,
        )
        result.simulated_messages = sum(1 for m in created if m.state == Message.SIMULATED)
        result.messages = len(created) - result.simulated_messages
        result.held = sum(1 for m in created if m.state == Message.HELD)
        audit.record(
            actor,
            "outreach.notice_queued",
            obj=notice,
            summary=f"{kind} to {len(orgs)} organisation(s), {len(created)} message(s)",
            data=result.as_dict(),
        )
        _drain_after_commit()
    return result


def _insert_messages(rows: list[Message]) -> list[Message]:
    """INSERT new rows of one notice with one prepared statement, then read their ids back.

    What bulk_create does, without its per-value SQL compilation: for a notice to 1,500
    organisations (3,000 rows of 30 columns) that compilation cost more than the rest of
    queueing. Values still go through each field's own conversion (`get_db_prep_save`).
    """
    if not rows:
        return rows
    connection = connections[router.db_for_write(Message)]
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(Message._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [
        tuple(f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields) for row in rows
    ]
    with connection.cursor() as cursor:
        # Identifiers come from the model's _meta, every value is a parameter.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(sql, values)
    notices = {row.notice_id for row in rows}
    ids = dict(Message.objects.filter(notice_id__in=notices).values_list("key", "id"))
    for row in rows:
        row.pk = ids[row.key]
        row._state.adding = False
        row._state.db = connection.alias
    return rows


def _jsonable(context: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(context, default=str))


def _drain_after_commit() -> None:
    if not settings.OUTREACH_AUTODRAIN:
        return

    def kick() -> None:
        try:
            from dnscc.outreach.tasks import drain_outbox

            drain_outbox.enqueue()
        except Exception:  # the rows are safe in the outbox; a worker's next pass sends them
            log.exception("could not enqueue the outbox drain task")

    transaction.on_commit(kick)


def queue_contact_verification(actor: audit.Actor, contact: Contact, link: str) -> Message:
    """The contact-verification mail, through the outbox like every other message."""
    org = contact.organization
    language = templating.choose_language(
        "contact_verification", [*(org.languages or []), contact.language]
    )
    message = Message(kind="contact_verification")
    rendered = templating.render(
        "contact_verification",
        language,
        {
            **_recipient_context(org, contact, message.key),
            "email": contact.email,
            "link": link,
            "hours": settings.CONTACT_TOKEN_HOURS,
        },
    )
    with transaction.atomic():
        message.channel = Message.EMAIL
        message.organization = org
        message.contact = contact
        message.address = contact.email
        message.host = contact.email.rpartition("@")[2].lower()
        message.language = language
        message.subject = rendered.subject
        message.body = rendered.body
        # The address is what is being verified: never encrypt, the key may be stale.
        message.security = Message.SIGNED
        message.next_attempt_at = timezone.now()
        message.save(force_insert=True)
        _drain_after_commit()
    return message


def queue_mail_to_address(
    kind: str,
    address: str,
    context: dict[str, object],
    *,
    languages: Iterable[str] = (),
    exercise: int | None = None,
) -> Message:
    """A signed mail to an address that is no directory contact (a reporter confirming a
    report, a decision on it, a coordinator lead), through the outbox like every other
    message. `exercise` marks it (subject and body say EXERCISE)."""
    language = templating.choose_language(kind, [*languages])
    message = Message(kind=kind, exercise=exercise)
    rendered = templating.render(kind, language, {"center": "dnscc", **context})
    with transaction.atomic():
        message.channel = Message.EMAIL
        message.address = address
        message.host = address.rpartition("@")[2].lower()
        message.language = language
        message.subject = rendered.subject
        message.body = rendered.body
        if exercise is not None:
            message.subject = exercise_mark.mark_subject(message.subject)[:300]
            message.body = exercise_mark.mark_body(message.body, exercise)
        message.security = Message.SIGNED  # no key to encrypt to
        message.next_attempt_at = timezone.now()
        message.save(force_insert=True)
        _drain_after_commit()
    return message


# -- what senders report --------------------------------------------------------------


def claim(
    *, limit: int, lease_seconds: int | None = None, exclude: Iterable[int] = ()
) -> tuple[str, list[Message]]:
    """Claim up to `limit` due messages for one sender: (claim token, messages).

    A compare-and-set on state (and, for a lapsed lease, on lease_until) makes this safe
    with many senders on PostgreSQL: a row is claimed by exactly one UPDATE. `exclude`:
    ids the sender already holds (claimed ahead, or in flight), whose lease may have lapsed:
    claiming them again would send them twice.
    """
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds or settings.OUTREACH_LEASE_SECONDS)
    due = Q(state=Message.QUEUED, next_attempt_at__lte=now) | Q(
        state=Message.SENDING, lease_until__lt=now
    )
    held = set(exclude)
    candidates = Message.objects.filter(due)
    if held:
        candidates = candidates.exclude(id__in=held)
    ids = list(candidates.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    if not ids:
        return "", []
    token = secrets.token_hex(16)
    Message.objects.filter(due, id__in=ids).update(
        state=Message.SENDING,
        claim_token=token,
        lease_until=now + lease,
        attempts=F("attempts") + 1,
    )
    claimed = list(
        Message.objects.filter(claim_token=token, state=Message.SENDING)
        .select_related("contact", "organization", "notice")
        .only(*SENDER_FIELDS)
        .order_by("next_attempt_at", "id")
    )
    return token, claimed


# What a sender reads of a claimed message (loading whole rows, and whole contacts and
# organisations, cost a fan-out more than its database writes).
SENDER_FIELDS = (
    "key",
    "kind",
    "channel",
    "organization__slug",
    "contact__pgp_key",
    "address",
    "host",
    "language",
    "subject",
    "body",
    "payload",
    "security",
    "attempts",
    "claim_token",
    "notice__source_type",
    "notice__source_id",
    "organization_id",
)


def record_outcome(message_id: int, token: str, outcome: delivery.Outcome) -> str:
    """Record one attempt: accepted, retried later with backoff, or a dead letter.

    Returns the new state, or "" when the claim was lost (another sender took over after
    the lease lapsed): then nothing is written.
    """
    now = timezone.now()
    with transaction.atomic():
        row = Message.objects.filter(pk=message_id).values("attempts", "kind").first()
        if row is None:
            return ""
        mine = Message.objects.filter(pk=message_id, claim_token=token, state=Message.SENDING)
        if outcome.ok:
            state = Message.ACCEPTED
            changed = mine.update(
                state=state, sent_at=now, accepted_at=now, server_reply=outcome.reply, last_error=""
            )
            if changed:
                _event(message_id, "sent", at=now)
                _event(message_id, "accepted", outcome.reply, at=now)
                tracking.announce([message_id])
        elif outcome.permanent or row["attempts"] >= settings.OUTREACH_MAX_ATTEMPTS:
            state = Message.DEAD
            reason = (
                outcome.reply
                if outcome.permanent
                else f"gave up after {row['attempts']} attempts: {outcome.reply}"
            )
            changed = mine.update(state=state, last_error=outcome.reply, dead_reason=reason[:500])
            if changed:
                _event(message_id, "dead", reason, at=now)
                tracking.announce([message_id])
        else:
            state = Message.QUEUED
            delay = delivery.backoff_seconds(
                row["attempts"], base=settings.OUTREACH_BACKOFF_SECONDS
            )
            changed = mine.update(
                state=state,
                last_error=outcome.reply,
                next_attempt_at=now + timedelta(seconds=delay),
                claim_token="",
            )
            if changed:
                _event(
                    message_id, "deferred", f"{outcome.reply}; next try in {delay:.0f} s", at=now
                )
    return state if changed else ""


def record_accepted(
    items: list[tuple[int, str, str]], *, messages: Iterable[Message] | None = None
) -> set[int]:
    """Record many accepted messages in one transaction (group commit): [(id, token, reply)].

    Returns the ids recorded; a row whose claim was lost meanwhile is left alone. The
    sender calls this after every turn of its loop that brought answers, thousands of times
    in a fan-out, so it is two plain statements (the ORM's query building cost more than the
    database): per claim token, one compare-and-set UPDATE; then one INSERT of the timeline
    events ("sent", "accepted"). Then, in the same transaction, the sources of the
    recorded messages hear of it (tracking.announce); `messages`, the sender's rows with
    their notice's source loaded, spares that a query.
    """
    if not items:
        return set()
    now = timezone.now()
    replies = {pk: reply for pk, _token, reply in items}
    by_token: dict[str, list[int]] = {}
    for pk, token, _reply in items:
        by_token.setdefault(token, []).append(pk)
    connection = connections[router.db_for_write(Message)]
    # Plain SQL: identifiers from the models' _meta, every value a parameter.
    at = connection.ops.adapt_datetimefield_value(now)
    table = connection.ops.quote_name(Message._meta.db_table)
    recorded: set[int] = set()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for token, ids in by_token.items():
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"UPDATE {table} SET state = %s, sent_at = %s, accepted_at = %s,"  # noqa: S608
                f" last_error = '' WHERE id IN ({marks}) AND claim_token = %s AND state = %s",
                [Message.ACCEPTED, at, at, *ids, token, Message.SENDING],
            )
            if cursor.rowcount == len(ids):
                recorded.update(ids)
            elif cursor.rowcount:  # some claims were lost: the rows updated here carry `now`
                cursor.execute(
                    f"SELECT id FROM {table} WHERE id IN ({marks}) AND claim_token = %s"  # noqa: S608
                    " AND state = %s AND accepted_at = %s",
                    [*ids, token, Message.ACCEPTED, at],
                )
                recorded.update(row[0] for row in cursor.fetchall())
        if recorded:
            events = connection.ops.quote_name(MessageEvent._meta.db_table)
            rows: list[tuple[int, Any, str, str]] = []
            for pk in sorted(recorded):
                rows.append((pk, at, "sent", ""))
                rows.append((pk, at, "accepted", replies[pk][:500]))
            cursor.executemany(
                f"INSERT INTO {events} (message_id, at, event, detail)"  # noqa: S608
                " VALUES (%s, %s, %s, %s)",
                rows,
            )
            if messages is None:
                tracking.announce(recorded)
            else:
                tracking.announce(messages=[m for m in messages if m.pk in recorded])
    return recorded


# -- visibility, timeline, acknowledgements --------------------------------------------


def message_labelled(message: Message) -> Labelled:
    """A message as the TLP rule sees it: at least AMBER, whatever its notice says. The
    notice's text may be GREEN, but the message carries the recipient's address and a
    signed acknowledgement link: only the recipient organisation and staff see it."""
    tlp = TLP(message.notice.tlp) if message.notice_id else TLP.AMBER
    if tlp.rank < TLP.AMBER.rank:
        tlp = TLP.AMBER
    orgs = frozenset([message.organization_id]) if message.organization_id else frozenset()
    return Labelled(tlp=tlp, recipient_organization_ids=orgs)


def visible_messages(viewer: Viewer, *, exercises: bool = True) -> Any:
    """The messages the viewer may see: staff the outbox, a member those to its
    organisation (never an exercise's "would have sent": it was not sent to them). With
    `exercises=False`, live messages only (core.exercise_mark)."""
    qs = Message.objects.select_related("organization", "notice")
    if not exercises:
        qs = qs.filter(exercise__isnull=True)
    if viewer.is_staff:
        return qs.exclude(notice__tlp=TLP.RED.value)
    if viewer.role is None or viewer.organization_id is None:
        return qs.none()
    return qs.filter(organization_id=viewer.organization_id).exclude(state=Message.SIMULATED)


def get_message(viewer: Viewer, key: str) -> Message:
    message = (
        Message.objects.select_related("organization", "notice", "contact").filter(key=key).first()
    )
    if message is None or not can_see(viewer, message_labelled(message)):
        raise NotFoundError("no such message")
    if message.state == Message.SIMULATED and not viewer.is_staff:
        raise NotFoundError("no such message")  # never sent: the recipient never had it
    return message


def timeline(message: Message) -> list[dict[str, Any]]:
    """The recipient's timeline: queued (the row's creation), then every recorded event."""
    events = [{"at": message.created_at, "event": "queued", "detail": ""}]
    events += [
        {"at": e.at, "event": e.event, "detail": e.detail}
        for e in message.events.order_by("at", "id")
        if e.event != "queued"
    ]
    return events


def acknowledge(message: Message, *, via: str, by: str, actor: audit.Actor) -> bool:
    """Record the acknowledgement once (the first one counts); True if this one did."""
    now = timezone.now()
    targets = [message.pk] + ([message.parent_id] if message.parent_id else [])
    with transaction.atomic():
        changed = Message.objects.filter(pk__in=targets, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_via=via, acknowledged_by=by[:150]
        )
        if changed:
            for pk in targets:
                _event(pk, "acknowledged", f"via {via} by {by}", at=now)
            audit.record(
                actor,
                "outreach.acknowledged",
                obj=message,
                summary=f"{message.key} via {via}",
                data={"via": via, "by": by},
            )
            message_acknowledged.send(sender=Message, message=message, via=via, by=by)
    return bool(changed)


def acknowledge_by_viewer(viewer: Viewer, actor: audit.Actor, key: str, *, via: str) -> Message:
    message = get_message(viewer, key)
    if not viewer.is_staff and viewer.organization_id != message.organization_id:
        raise PermissionDenied("Only the recipient organisation may acknowledge this message.")
    acknowledge(message, via=via, by=actor.name, actor=actor)
    message.refresh_from_db()
    return message


def acknowledge_by_link(key: str, signature: str) -> Message:
    message = Message.objects.filter(key=key).first()
    if message is None or not hmac.compare_digest(ack_signature(key), signature):
        raise NotFoundError("this acknowledgement link is not valid")
    acknowledge(
        message, via="link", by=message.address, actor=audit.Actor(f"recipient:{message.address}")
    )
    message.refresh_from_db()
    return message


def retry(viewer: Viewer, actor: audit.Actor, key: str) -> Message:
    """A coordinator sends a dead, held or bounced message again (same key)."""
    if not viewer.is_staff:
        raise PermissionDenied("Only center staff may retry messages.")
    message = get_message(viewer, key)
    with transaction.atomic():
        changed = Message.objects.filter(
            pk=message.pk, state__in=[Message.DEAD, Message.HELD, Message.BOUNCED]
        ).update(
            state=Message.QUEUED,
            attempts=0,
            next_attempt_at=timezone.now(),
            claim_token="",
            dead_reason="",
        )
        if not changed:
            raise ConflictError(
                f"message {key} is {message.state}; only dead, held or bounced messages are retried"
            )
        _event(message, "retried", f"by {actor.name}")
        tracking.announce([message.pk])
        audit.record(actor, "outreach.retried", obj=message, summary=key)
        _drain_after_commit()
    message.refresh_from_db()
    return message


def notice_status(notice: Notice) -> dict[str, Any]:
    """Per-recipient status of one notice, and counts per status."""
    rows = []
    counts: dict[str, int] = {}
    for m in notice.messages.select_related("organization").order_by(
        "organization__name", "channel"
    ):
        counts[m.status] = counts.get(m.status, 0) + 1
        rows.append(
            {
                "key": m.key,
                "organization": m.organization.slug if m.organization else "",
                "organization_name": m.organization.name if m.organization else "",
                "channel": m.channel,
                "address": m.address,
                "language": m.language,
                "security": m.security,
                "status": m.status,
                "flags": m.flags,
                "dead_reason": m.dead_reason,
                "accepted_at": m.accepted_at,
                "acknowledged_at": m.acknowledged_at,
            }
        )
    return {
        "notice": notice.pk,
        "kind": notice.kind,
        "counts": counts,
        "constrained": constrained_reach(notice).as_dict(),
        "recipients": rows,
        "unreachable": sorted(
            Organization.objects.filter(pk__in=notice.unreachable or []).values_list(
                "slug", flat=True
            )
        ),
    }


def constrained_reach(notice: Notice) -> constrained.Reach:
    """How many of the notice's resource-constrained recipient organisations were reached (a
    message to them accepted by the relay or webhook, or acknowledged: queued does not
    count) and how many acknowledged. Those of its audience no message could go to (no
    contact or channel) count as not reached."""
    found = constrained.reach(
        notice.messages.all(),
        organization="organization",
        reached=Q(state=Message.ACCEPTED) | Q(acknowledged_at__isnull=False),
        acknowledged=Q(acknowledged_at__isnull=False),
    )
    if not notice.unreachable:
        return found
    missed = Organization.objects.filter(
        pk__in=notice.unreachable, resource_constrained=True
    ).count()
    return replace(found, total=found.total + missed)


# -- follow-ups for silence -------------------------------------------------------------


# Notices whose silence their source follows up itself, with deadlines and a ladder: an
# incident's parties (incidents.sla) and a campaign's slices (campaigns.escalation). The
# generic follow-up leaves them alone, or a silent registry would be reminded twice.
OWN_LADDER_SOURCES = ("incident", "campaign_slice")


def silent_messages(*, now: datetime | None = None, hours: int | None = None) -> Any:
    """Accepted mail of notices that need an acknowledgement, unanswered for `hours`
    (except those of OWN_LADDER_SOURCES)."""
    cutoff = (now or timezone.now()) - timedelta(hours=hours or settings.OUTREACH_FOLLOWUP_HOURS)
    return (
        Message.objects.filter(
            channel=Message.EMAIL,
            parent__isnull=True,
            notice__requires_ack=True,
            state=Message.ACCEPTED,
            acknowledged_at__isnull=True,
            accepted_at__lt=cutoff,
        )
        .exclude(notice__source_type__in=OWN_LADDER_SOURCES)
        .select_related("organization", "contact", "notice")
    )


def schedule_followups(actor: audit.Actor, *, now: datetime | None = None) -> int:
    """Queue a follow-up for each silent recipient (at most OUTREACH_FOLLOWUP_MAX each,
    one per period). `dnscc scheduler` enqueues it hourly (outreach.tasks.schedule), and
    `dnscc outreach followups` runs it by hand; incidents and campaigns remind through
    their own ladders (OWN_LADDER_SOURCES)."""
    now = now or timezone.now()
    period = timedelta(hours=settings.OUTREACH_FOLLOWUP_HOURS)
    queued = 0
    with transaction.atomic():
        for original in silent_messages(now=now):
            earlier = list(original.followups.order_by("-created_at"))
            if len(earlier) >= settings.OUTREACH_FOLLOWUP_MAX:
                continue
            # Silence is counted from the last reminder (its event on the original's timeline).
            if original.events.filter(event="followup", at__gt=now - period).exists():
                continue
            org = original.organization
            language = (
                original.language
                if original.language in templating.available().get("followup", [])
                else "en"
            )
            rendered = templating.render(
                "followup",
                language,
                {
                    "organization": org.name if org else "",
                    "contact_name": original.contact.name if original.contact else "",
                    "ack_url": ack_url(original.key),
                    "center": "dnscc",
                    "original_subject": original.subject,
                    "original_sent": f"{original.accepted_at:%Y-%m-%d %H:%M} UTC",
                    "original_body": original.body,
                },
            )
            if original.exercise is not None:
                rendered = templating.Rendered(
                    kind=rendered.kind,
                    language=rendered.language,
                    subject=exercise_mark.mark_subject(rendered.subject)[:300],
                    body=exercise_mark.mark_body(rendered.body, original.exercise),
                )
            followup = Message.objects.create(
                exercise=original.exercise,
                notice=original.notice,
                parent=original,
                kind="followup",
                channel=Message.EMAIL,
                organization=org,
                contact=original.contact,
                address=original.address,
                host=original.host,
                language=language,
                subject=rendered.subject,
                body=rendered.body,
                security=original.security,
                flags=original.flags,
                next_attempt_at=min(now, timezone.now()),
            )
            _event(followup, "reminder", f"follow-up {len(earlier) + 1} of {original.key}")
            _event(original, "followup", f"no acknowledgement; follow-up {followup.key}", at=now)
            queued += 1
        if queued:
            audit.record(actor, "outreach.followups_queued", summary=f"{queued} follow-up(s)")
            _drain_after_commit()
    return queued


# -- inbound mail: bounces and signed replies ---------------------------------------------

# Inbound mail that is neither a delivery report nor an acknowledgement belongs to a higher
# floor (incidents: a new report, or a reply on an incident's thread), which registers its
# reader here; outreach never imports it. Each reader answers {"type": "unmatched"} for mail
# that is not its own; the first that takes the mail answers for it.
INBOUND_READERS: dict[str, Callable[[bytes], dict[str, Any]]] = {}


def register_inbound_reader(name: str, reader: Callable[[bytes], dict[str, Any]]) -> None:
    """`reader(raw)` gets the inbound mail that is not a bounce or an acknowledgement."""
    INBOUND_READERS[name] = reader


def process_inbound(raw: bytes) -> dict[str, Any]:
    """One message that arrived at the center's inbound address (piped by the MTA)."""
    reports = dsn.parse(raw)
    if reports:
        results = []
        for report in reports:
            message = Message.objects.filter(key=report.key).first()
            if message is None:
                results.append({"key": report.key, "matched": False})
                continue
            detail = (
                f"{report.action} {report.status} {report.recipient} {report.diagnostic}".strip()
            )
            with transaction.atomic():
                if report.permanent_failure:
                    Message.objects.filter(pk=message.pk).update(
                        state=Message.BOUNCED, bounced_at=timezone.now(), last_error=detail[:500]
                    )
                    _event(message, "bounced", detail)
                    tracking.announce([message.pk])
                else:
                    _event(message, f"dsn-{report.action}"[:24], detail)
                audit.record(audit.SYSTEM, "outreach.dsn", obj=message, summary=detail[:300])
            results.append({"key": report.key, "matched": True, "action": report.action})
        return {"type": "dsn", "reports": results}
    result = _signed_reply(raw)
    if result["type"] == "unmatched" or result.get("acknowledged") is False:
        # Not an acknowledgement: a registered reader's (a new report, an incident's thread).
        for reader in INBOUND_READERS.values():
            handled = reader(raw)
            if handled.get("type") != "unmatched":
                return handled
    return result


def _signed_reply(raw: bytes) -> dict[str, Any]:
    """An OpenPGP-signed (PGP/MIME) reply to one of our messages acknowledges it."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    refs = " ".join(str(msg.get(h, "")) for h in ("In-Reply-To", "References"))
    match = dsn.MSGID_RE.search(refs)
    if not match:
        return {"type": "unmatched"}
    message = Message.objects.filter(key=match.group(1)).select_related("contact").first()
    if message is None:
        return {"type": "unmatched"}
    if msg.get_content_type() != "multipart/signed" or message.contact is None:
        return {"type": "reply", "key": message.key, "acknowledged": False, "why": "not signed"}
    check = pgp.check_recipient_key(message.contact.pgp_key)
    cert = check.cert
    if cert is None:
        try:
            import pysequoia

            cert = pysequoia.Cert.from_bytes(message.contact.pgp_key.encode())
        except Exception:  # noqa: BLE001
            cert = None
    signed, signature = _split_signed(raw)
    if (
        cert is None
        or signed is None
        or signature is None
        or not pgp.verify_detached(signed, signature, cert)
    ):
        with transaction.atomic():
            _event(message, "reply", "a signed reply whose signature did not verify")
        return {"type": "reply", "key": message.key, "acknowledged": False, "why": "bad signature"}
    acknowledge(
        message,
        via="signed-reply",
        by=message.address,
        actor=audit.Actor(f"recipient:{message.address}"),
    )
    return {"type": "reply", "key": message.key, "acknowledged": True}


def _split_signed(raw: bytes) -> tuple[bytes | None, bytes | None]:
    """The exact signed bytes and the signature of a multipart/signed message."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    boundary = msg.get_boundary()
    if not boundary:
        return None, None
    text = raw.replace(b"\r\n", b"\n")
    delimiter = b"\n--" + boundary.encode()
    parts = text.split(delimiter)
    # A malformed message (a part cut short right at a delimiter, no line after it) is
    # no signed message: (None, None), which callers treat as a bad signature.
    if len(parts) < 3 or b"\n" not in parts[1] or b"\n" not in parts[2]:
        return None, None
    signed = parts[1].split(b"\n", 1)[1]
    signed = signed.replace(b"\n", b"\r\n")
    sig_part = email.message_from_bytes(parts[2].split(b"\n", 1)[1])
    payload = sig_part.get_payload(decode=True)
    return signed, payload if isinstance(payload, bytes) and payload else None
