"""The sender: drains the outbox over reused SMTP connections and an HTTP connection pool.

Run by the `drain_outbox` task or `dnscc outreach send`. It claims a batch of due rows with
a compare-and-set (services.claim), sends each, and records each outcome right after the
server's answer and before taking the next message on that connection. So a crash (even
SIGKILL) leaves at most `concurrency` messages accepted but unrecorded; their lease lapses,
they are sent again with the same idempotency key, and the recipient can discard the copy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import aiosmtplib
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings

from dnscc.outreach import compose, httpclient, pgp, services, webhooks
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
    seconds: float = 0.0
    by_state: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "accepted": self.accepted,
            "deferred": self.deferred,
            "dead": self.dead,
            "lost": self.lost,
            "seconds": round(self.seconds, 3),
        }


class SmtpPool:
    """A few long-lived SMTP connections to the relay; STARTTLS whenever it is offered."""

    def __init__(
        self, *, host: str, port: int, size: int, timeout: float, user: str = "", password: str = ""
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.user, self.password = user, password
        self.slots: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(size):
            self.slots.put_nowait(None)

    async def _connect(self) -> aiosmtplib.SMTP:
        # start_tls=None: upgrade with STARTTLS when the server offers it (aiosmtplib 2+).
        client = aiosmtplib.SMTP(
            hostname=self.host, port=self.port, timeout=self.timeout, start_tls=None
        )
        await client.connect()
        if self.user:
            await client.login(self.user, self.password)
        return client

    async def send(self, sender: str, recipient: str, data: bytes) -> Outcome:
        client = await self.slots.get()
        try:
            if client is None or not client.is_connected:
                client = await self._connect()
            errors, reply = await client.sendmail(sender, [recipient], data)
            if errors:
                refused = next(iter(errors.values()))
                return smtp_outcome(refused.code, refused.message)
            digits, _, text = reply.partition(" ")
            return smtp_outcome(int(digits) if digits.isdigit() else 250, text or reply)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            return smtp_outcome(first.code, str(first.message))
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421 or isinstance(exc, aiosmtplib.SMTPServerDisconnected):
                await _close(client)
                client = None
            return smtp_outcome(exc.code, exc.message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            await _close(client)
            client = None
            return Outcome.temporary(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}")
        finally:
            self.slots.put_nowait(client)

    async def close(self) -> None:
        while not self.slots.empty():
            await _close(self.slots.get_nowait())


async def _close(client: aiosmtplib.SMTP | None) -> None:
    if client is not None:
        try:
            if client.is_connected:
                await asyncio.wait_for(client.quit(), 2)
        except Exception:  # noqa: BLE001 - closing a broken connection: nothing to report
            client.close()


class WebhookClient:
    def __init__(self, *, timeout: float, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.client = httpclient.Client(timeout=timeout)

    async def _refusal(self, url: str) -> str | None:
        host = webhooks.url_host(url)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            return f"temporary: cannot resolve {host}: {exc}"
        for info in infos:
            why = webhooks.forbidden_address(str(info[4][0]))
            if why:
                return f"refused: {host} resolves to a {why} address ({info[4][0]})"
        return None

    async def send(self, message: Message) -> Outcome:
        if not self.allow_private:
            refusal = await self._refusal(message.address)
            if refusal and refusal.startswith("refused"):
                return Outcome.refused(refusal)
            if refusal:
                return Outcome.temporary(refusal)
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
        secret = services.webhook_secret(message.contact_id or 0)
        try:
            response = await self.client.post(
                message.address, body, webhooks.headers(secret, body, key=message.key)
            )
        except httpclient.HttpError as exc:
            return Outcome.temporary(str(exc))
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
    )


class Sender:
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
        self._claim = sync_to_async(services.claim, thread_sensitive=True)
        self._record = sync_to_async(services.record_outcome, thread_sensitive=True)
        self._record_many = sync_to_async(services.record_accepted, thread_sensitive=True)
        self._pending: list[tuple[int, str, str, asyncio.Future[str]]] = []
        self._flusher: asyncio.Future[None] | None = None

    async def _one(self, sem: asyncio.Semaphore, token: str, message: Message) -> None:
        async with sem:
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
            if outcome.ok:
                state = await self._record_accepted(message.pk, token, outcome.reply)
            else:
                state = await self._record(message.pk, token, outcome)
        if state == Message.ACCEPTED:
            self.stats.accepted += 1
        elif state == Message.DEAD:
            self.stats.dead += 1
        elif state == Message.QUEUED:
            self.stats.deferred += 1
        else:
            self.stats.lost += 1

    async def _record_accepted(self, pk: int, token: str, reply: str) -> str:
        """Queue the record for the group commit and wait until it is written: the caller
        holds its concurrency slot until then, so a crash leaves at most `concurrency`
        messages accepted but unrecorded."""
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending.append((pk, token, reply, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                recorded = await self._record_many([(p, t, r) for p, t, r, _ in batch])
            except Exception as exc:  # noqa: BLE001 - the waiting senders get the error
                for *_rest, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for pk, _token, _reply, done in batch:
                if not done.done():
                    done.set_result(Message.ACCEPTED if pk in recorded else "")

    async def run(
        self, *, until_empty: bool = True, idle_sleep: float = 1.0, max_seconds: float | None = None
    ) -> Stats:
        started = time.monotonic()
        sem = asyncio.Semaphore(self.concurrency)
        try:
            while True:
                token, messages = await self._claim(limit=self.batch)
                if messages:
                    self.stats.claimed += len(messages)
                    await asyncio.gather(*(self._one(sem, token, m) for m in messages))
                    continue
                if until_empty:
                    break
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
                await asyncio.sleep(idle_sleep)
        finally:
            await self.smtp.close()
            await self.web.close()
            self.stats.seconds = time.monotonic() - started
        return self.stats


def drain(**kwargs: Any) -> Stats:
    """Send everything that is due, then return (for tasks, the CLI and tests)."""
    run_kwargs = {
        k: kwargs.pop(k) for k in ("until_empty", "idle_sleep", "max_seconds") if k in kwargs
    }
    # async_to_sync runs the database calls (thread_sensitive) back in this thread, on its
    # connection and inside its transaction, as the rest of the caller's work.
    return async_to_sync(Sender(**kwargs).run)(**run_kwargs)
