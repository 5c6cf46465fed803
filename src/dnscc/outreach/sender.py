"""The sender: drains the outbox over reused SMTP connections and an HTTP connection pool.

Run by the `drain_outbox` task or `dnscc outreach send`. It claims batches of due rows with
a compare-and-set (services.claim), keeps at most `concurrency` messages between "started"
and "recorded", and records the answers that came in each turn of its network loop in one
transaction (group commit) before their slots take new messages. So a crash (even SIGKILL)
leaves at most `concurrency` messages accepted but unrecorded; their lease lapses, they are
sent again with the same idempotency key, and the recipient can discard the copy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import aiosmtplib
from django.conf import settings

from dnscc.core import egress
from dnscc.directory.services import webhook_secret
from dnscc.outreach import compose, health, httpclient, pgp, services, webhooks
from dnscc.outreach.delivery import Outcome, RateLimits, http_outcome, smtp_outcome
from dnscc.outreach.models import Message

log = logging.getLogger(__name__)


@dataclass
class Stats:
    claimed: int = 0
    accepted: int = 0
    deferred: int = 0
    dead: int = 0
    lost: int = 0
    commits: int = 0  # group commits of outcomes
    seconds: float = 0.0
    by_state: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "accepted": self.accepted,
            "deferred": self.deferred,
            "dead": self.dead,
            "lost": self.lost,
            "commits": self.commits,
            "seconds": round(self.seconds, 3),
        }


class SmtpPool:
    """A few long-lived SMTP connections to the relay, with TLS as `tls` says:

    - "starttls" (the default): upgrade whenever the relay offers STARTTLS. An upgrade that
      fails (a certificate that does not verify) fails the attempt: never a silent fall
      back to clear text once TLS was offered.
    - "required": a relay that does not offer STARTTLS is refused (a temporary failure that
      says so; the message waits in the outbox).
    - "implicit": TLS from the first byte (SMTPS, usually port 465).
    - "off": never (a relay on loopback).

    Certificates are verified against the system's authorities, or `ca_file`.

    Before each connection the relay's addresses pass the egress rule (dnscc.core.egress):
    the relay the configuration names is allowed wherever it is; any other host must lie in
    the allowed networks, or the attempt fails (temporarily: the message waits) saying so."""

    TLS_MODES = ("starttls", "required", "implicit", "off")

    def __init__(
        self,
        *,
        host: str,
        port: int,
        size: int,
        timeout: float,
        user: str = "",
        password: str = "",
        tls: str = "starttls",
        ca_file: str = "",
        policy: egress.Policy | None = None,
    ) -> None:
        if tls not in self.TLS_MODES:
            raise ValueError(f"tls={tls!r}: one of {', '.join(self.TLS_MODES)}")
        self.host, self.port, self.timeout = host, port, timeout
        self.user, self.password = user, password
        self.tls = tls
        self.tls_context = ssl.create_default_context(cafile=ca_file or None)
        self.policy = policy or egress.current()
        self.slots: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(size):
            self.slots.put_nowait(None)

    async def _egress(self) -> None:
        """Raise EgressRefused unless every address of the relay may be sent to."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        for info in infos:
            self.policy.check(str(info[4][0]), egress.MAIL, host=self.host)

    async def _connect(self) -> aiosmtplib.SMTP:
        await self._egress()
        # start_tls None: upgrade when offered; True: insist; False: never (aiosmtplib 2+).
        start_tls = {"starttls": None, "required": True}.get(self.tls, False)
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.tls == "implicit",
            start_tls=start_tls,
            tls_context=self.tls_context,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            # connect() closed the transport itself; one turn of the loop closes its socket.
            await asyncio.sleep(0)
            if self.tls == "required" and "STARTTLS" in str(exc):
                raise aiosmtplib.SMTPException(
                    "the relay does not offer STARTTLS and DNSCC_SMTP_TLS=required"
                ) from exc
            raise
        if self.user:
            await client.login(self.user, self.password)
        return client

    async def send(self, sender: str, recipient: str, data: bytes) -> Outcome:
        client = await self.slots.get()
        try:
            if client is None or not client.is_connected:
                client = await self._connect()
            reply = await _transaction(client, sender, recipient, data)
            return smtp_outcome(reply.code, reply.message)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421 or isinstance(exc, aiosmtplib.SMTPServerDisconnected):
                await _close(client)
                client = None
            return smtp_outcome(exc.code, exc.message)
        except egress.EgressRefused as exc:
            return Outcome.temporary(f"SMTP {self.host}:{self.port}: {exc.message}")
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            await _close(client)
            client = None
            why = f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}"
            if "CERTIFICATE_VERIFY_FAILED" in why:
                why += (
                    " (the relay's certificate: set DNSCC_SMTP_CA_FILE to its authority,"
                    " or DNSCC_SMTP_TLS=off for a relay on loopback)"
                )
            return Outcome.temporary(why, channel_down=True)
        finally:
            self.slots.put_nowait(client)

    async def close(self) -> None:
        while not self.slots.empty():
            await _close(self.slots.get_nowait())


async def _transaction(
    client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes
) -> aiosmtplib.SMTPResponse:
    """One mail transaction (MAIL, RCPT, DATA) for one recipient: what `sendmail` does,
    without its second parse of each address and second pass over the message to size it
    (`data` has CRLF line ends already, so its length is its size). A refusal raises the
    server's answer (SMTPResponseException) after an RSET, so the connection can go on."""
    options = [f"SIZE={len(data)}"] if client.supports_extension("size") else []
    try:
        await client.mail(sender, options=options)
        await client.rcpt(recipient)
        return await client.data(data)
    except aiosmtplib.SMTPResponseException:
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await client.rset()
        raise


async def _close(client: aiosmtplib.SMTP | None) -> None:
    """QUIT (or just close) a connection, and wait until its socket is closed: closing a
    TLS connection takes a few turns of the loop (close_notify both ways), and a loop
    closed before then would leave the socket open behind it."""
    if client is None:
        return
    protocol = client.protocol
    # Closing a broken connection: nothing to report.
    with contextlib.suppress(Exception):
        if client.is_connected:
            await asyncio.wait_for(client.quit(), 2)
    client.close()  # no-op after a QUIT that closed it
    # aiosmtplib's protocol drops its transport in connection_lost, which for TLS comes
    # after the raw socket is closed. Bounded: a peer that never answers close_notify.
    deadline = time.monotonic() + 2
    while getattr(protocol, "transport", None) is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


class WebhookClient:
    """Webhooks over httpclient. Each new connection resolves the receiver's host once and
    goes to the address that passed the egress rule (dnscc.core.egress) and, in production
    (allow_private False), webhooks.forbidden_address: no second lookup for a rebinding
    answer to slip into."""

    def __init__(
        self, *, timeout: float, allow_private: bool, policy: egress.Policy | None = None
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.policy = policy or egress.current()
        self.client = httpclient.Client(timeout=timeout, guard=self._forbidden)

    def _forbidden(self, address: str) -> str | None:
        why = self.policy.refusal(address, egress.WEBHOOK)
        if why is None and not self.allow_private:
            why = webhooks.forbidden_address(address)
        return why

    async def send(self, message: Message) -> Outcome:
        body = json.dumps(
            {
                "id": message.key,
                "kind": message.kind,
                "organization": message.organization.slug if message.organization else None,
                "language": message.language,
                "subject": message.subject,
                "text": message.body,
                "data": message.payload,
                "ack_url": services.ack_url(message.key),
            },
            sort_keys=True,
        ).encode()
        secret = webhook_secret(message.contact_id or 0)
        try:
            response = await self.client.post(
                message.address, body, webhooks.headers(secret, body, key=message.key)
            )
        except httpclient.Refused as exc:
            return Outcome.refused(f"refused: {exc}")
        except httpclient.HttpError as exc:
            return Outcome.temporary(str(exc), channel_down=True)
        return http_outcome(response.status, response.reason)

    async def close(self) -> None:
        await self.client.close()


def _prepare_email(message: Message) -> bytes:
    cert = None
    if message.security == Message.ENCRYPTED and message.contact is not None:
        check = pgp.check_recipient_key(message.contact.pgp_key)
        cert = check.cert  # a key that went bad since queueing: signed only, never plain
    return compose.message_bytes(
        key=message.key,
        sender=settings.DEFAULT_FROM_EMAIL,
        to=message.address,
        subject=message.subject,
        body=message.body,
        domain=settings.OUTREACH_BOUNCE_DOMAIN,
        cert=cert,
        extra_headers={"X-Dnscc-Ack": services.ack_url(message.key)},
        protect_headers=settings.OUTREACH_PGP_PROTECT_HEADERS,
    )


class Sender:
    """Drains the outbox on one thread: the network work runs on an asyncio loop that this
    thread drives, and the database work (claims, records) runs on the same thread between
    turns of the loop, never concurrently with it.

    Keeping both on one thread matters: with the database on another thread (sync_to_async),
    each of the thousands of short socket and SQLite calls hands the GIL to the other
    thread and waits for it back, and a fan-out spent more time waiting than working.

    At most `concurrency` messages are between "started" and "recorded": a message's slot
    is released only once its outcome is committed. So a crash, even SIGKILL, leaves at most
    `concurrency` messages accepted but unrecorded (sent again later with the same key).
    """

    def __init__(self, *, concurrency: int | None = None, batch: int = 200) -> None:
        self.concurrency = concurrency or settings.OUTREACH_CONCURRENCY
        self.batch = batch
        self.smtp = SmtpPool(
            host=settings.OUTREACH_SMTP_HOST,
            port=settings.OUTREACH_SMTP_PORT,
            size=settings.OUTREACH_SMTP_CONNECTIONS,
            timeout=settings.OUTREACH_SMTP_TIMEOUT,
            user=settings.OUTREACH_SMTP_USER,
            password=settings.OUTREACH_SMTP_PASSWORD,
            tls=settings.OUTREACH_SMTP_TLS,
            ca_file=settings.OUTREACH_SMTP_CA_FILE,
        )
        self.web = WebhookClient(
            timeout=settings.OUTREACH_WEBHOOK_TIMEOUT,
            allow_private=settings.OUTREACH_WEBHOOK_ALLOW_PRIVATE,
        )
        self.limits = RateLimits(
            per_recipient=settings.OUTREACH_RATE_PER_RECIPIENT / 60,
            per_host=settings.OUTREACH_RATE_PER_HOST,
            burst=max(1, settings.OUTREACH_RATE_PER_HOST),
        )
        self.stats = Stats()
        # Outcomes received and not yet recorded: (claim token, message, outcome).
        self._done: list[tuple[str, Message, Outcome]] = []
        self._wake: asyncio.Event | None = None
        # Channel health seen in this run, written now and then (health.record).
        self.health = health.Observed()

    async def _one(self, token: str, message: Message) -> None:
        try:
            # Per recipient: the contact (one webhook URL may serve many organisations).
            recipient = f"{message.channel}:{message.contact_id or message.address}"
            await self.limits.acquire(recipient, message.host)
            if message.channel == Message.EMAIL:
                data = _prepare_email(message)
                outcome = await self.smtp.send(
                    services.bounce_address(message.key), message.address, data
                )
            else:
                outcome = await self.web.send(message)
        except Exception as exc:
            log.exception("sending %s failed", message.key)
            outcome = Outcome.temporary(f"internal error: {type(exc).__name__}")
        self._done.append((token, message, outcome))
        assert self._wake is not None
        self._wake.set()

    async def _outcomes(self) -> None:
        """Run the loop until at least one outcome is in: every outcome of the same turn of
        the loop is then in too, and they are recorded together (group commit). Waiting
        longer for more answers to share a commit was measured slower: the slots held by
        recorded-to-be messages cost more than the commits saved."""
        assert self._wake is not None
        while not self._done:
            self._wake.clear()
            await self._wake.wait()

    def _record(self, done: list[tuple[str, Message, Outcome]]) -> None:
        """Write the outcomes of one turn: the accepted ones in one transaction (group
        commit), the others one by one (rare, and each needs its own backoff)."""
        for _token, message, outcome in done:
            self.health.saw(message, outcome)
        if self.health.due():
            health.record(self.health)
        accepted = [(m.pk, token, o.reply) for token, m, o in done if o.ok]
        recorded: set[int] = set()
        if accepted:
            recorded = services.record_accepted(accepted, messages=[m for _t, m, o in done if o.ok])
            self.stats.commits += 1
        self.stats.accepted += len(recorded)
        self.stats.lost += len(accepted) - len(recorded)
        for token, message, outcome in done:
            if outcome.ok:
                continue
            state = services.record_outcome(message.pk, token, outcome)
            if state == Message.DEAD:
                self.stats.dead += 1
            elif state == Message.QUEUED:
                self.stats.deferred += 1
            else:
                self.stats.lost += 1

    def run(
        self, *, until_empty: bool = True, idle_sleep: float = 1.0, max_seconds: float | None = None
    ) -> Stats:
        """Send what is due; with `until_empty=False`, keep polling (for `max_seconds`)."""
        started = time.monotonic()
        loop = asyncio.new_event_loop()
        running: dict[int, asyncio.Task[None]] = {}  # message id -> task, until recorded
        try:
            self._wake = asyncio.Event()
            waiting: collections.deque[tuple[str, Message]] = collections.deque()
            exhausted = False
            while True:
                # Claim ahead (the next batch before this one runs dry), never a message
                # this sender already holds (its lease may have lapsed meanwhile).
                if len(waiting) < self.concurrency and (not exhausted or not running):
                    held = {m.pk for _t, m in waiting} | set(running)
                    token, messages = services.claim(limit=self.batch, exclude=held)
                    self.stats.claimed += len(messages)
                    waiting.extend((token, m) for m in messages)
                    exhausted = not messages
                while waiting and len(running) < self.concurrency:
                    token, message = waiting.popleft()
                    running[message.pk] = loop.create_task(self._one(token, message))
                if not running:
                    if until_empty:
                        break
                    if max_seconds is not None and time.monotonic() - started > max_seconds:
                        break
                    time.sleep(idle_sleep)
                    continue
                loop.run_until_complete(self._outcomes())
                done, self._done = self._done, []
                try:
                    self._record(done)
                finally:
                    for _token, message, _outcome in done:
                        running.pop(message.pk, None)
            health.record(self.health)
        finally:
            for task in running.values():
                task.cancel()
            try:
                loop.run_until_complete(self._shutdown(list(running.values())))
            finally:
                # Even when the shutdown itself fails (another loop runs in this thread), the
                # loop and its sockets are closed, not leaked.
                loop.close()
                self.stats.seconds = time.monotonic() - started
        return self.stats

    async def _shutdown(self, tasks: list[asyncio.Task[None]]) -> None:
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.smtp.close()
        await self.web.close()


def drain(**kwargs: Any) -> Stats:
    """Send everything that is due, then return (for tasks, the CLI and tests). The
    database work runs in the calling thread, on its connection and inside its
    transaction, as the rest of the caller's work."""
    run_kwargs = {
        k: kwargs.pop(k) for k in ("until_empty", "idle_sleep", "max_seconds") if k in kwargs
    }
    return Sender(**kwargs).run(**run_kwargs)
