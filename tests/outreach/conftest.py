"""Outreach fixtures: a real SMTP server and a real HTTP receiver on loopback, and settings
that point the outbox at them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pysequoia
import pytest

from dnscc.outreach import mailbox, pgp
from dnscc.outreach.sinks import HttpSink, SmtpSink


@pytest.fixture(scope="session")
def center_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pgp") / "center.asc"
    path.write_text(str(pysequoia.Tsk.generate("dnscc test <dnscc@center.test>")))
    return path


@pytest.fixture
def catcher(tmp_path: Path, settings: Any, center_key_file: Path) -> Iterator[Path]:
    """The demo's mail catcher (aiosmtpd on loopback) as the outbox's relay, its mailbox the
    Demo mailbox page's; no automatic drain: a test drains when it wants to see what the
    relay's answer changes. Yields the mailbox directory."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = mailbox.start(tmp_path / "mailbox", port=port)
    settings.OUTREACH_SMTP_HOST, settings.OUTREACH_SMTP_PORT = "127.0.0.1", port
    settings.OUTREACH_SMTP_TLS = "off"
    settings.OUTREACH_AUTODRAIN = False
    settings.OUTREACH_PGP_KEY_FILE = str(center_key_file)
    settings.DEMO_MAILBOX_DIR = tmp_path / "mailbox"
    pgp.reset_for_tests()
    yield tmp_path / "mailbox"
    controller.stop()
    pgp.reset_for_tests()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def outbox(settings: Any, smtp_sink: SmtpSink, center_key_file: Path) -> SmtpSink:
    """Settings for the outbox: the loopback SMTP sink, no automatic drain, quick retries."""
    settings.OUTREACH_SMTP_HOST = smtp_sink.host
    settings.OUTREACH_SMTP_PORT = smtp_sink.port
    settings.OUTREACH_SMTP_CONNECTIONS = 2
    settings.OUTREACH_SMTP_TIMEOUT = 5
    settings.OUTREACH_AUTODRAIN = False
    settings.OUTREACH_BACKOFF_SECONDS = 600  # tests make rows due with due_now()
    settings.OUTREACH_WEBHOOK_TIMEOUT = 1
    settings.OUTREACH_WEBHOOK_ALLOW_PRIVATE = True
    settings.OUTREACH_PGP_KEY_FILE = str(center_key_file)
    settings.OUTREACH_BOUNCE_DOMAIN = "center.test"
    settings.DEFAULT_FROM_EMAIL = "dnscc@center.test"
    settings.OUTREACH_RATE_PER_HOST = 1000
    settings.OUTREACH_RATE_PER_RECIPIENT = 6000
    pgp.reset_for_tests()
    return smtp_sink


def recipient_key(user_id: str = "Ops <ops@alpha.example>", **kwargs: Any) -> tuple[Any, str]:
    """A recipient's secret key (to decrypt in tests) and its armored public key."""
    tsk = pysequoia.Tsk.generate(user_id, **kwargs)
    return tsk, str(tsk.extract_certificate())


def due_now() -> None:
    """Make every deferred message due, as if its backoff had passed."""
    from django.utils import timezone

    from dnscc.outreach.models import Message

    Message.objects.filter(state=Message.QUEUED).update(next_attempt_at=timezone.now())
