"""TLS to the relay, against real aiosmtpd servers on loopback that offer STARTTLS or speak
TLS from the first byte, with certificates from a throwaway authority (trustme)."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.outreach import services
from dnscc.outreach.models import Message
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from tests.conftest import World

CONTEXT = {"title": "Open resolver abuse", "text": "Details follow.", "tlp": "TLP:AMBER"}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _sink(ca: trustme.CA, **kwargs: Any) -> Iterator[SmtpSink]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    sink = SmtpSink(tls_context=context, **kwargs).start()
    yield sink
    sink.stop()


@pytest.fixture
def starttls_sink(ca: trustme.CA) -> Iterator[SmtpSink]:
    yield from _sink(ca, require_starttls=True)


@pytest.fixture
def implicit_sink(ca: trustme.CA) -> Iterator[SmtpSink]:
    yield from _sink(ca, implicit_tls=True)


def _point_at(settings: Any, outbox: SmtpSink, sink: SmtpSink, tls: str, ca_file: str) -> None:
    """The `outbox` fixture's settings, with the relay replaced by `sink`."""
    settings.OUTREACH_SMTP_PORT = sink.port
    settings.OUTREACH_SMTP_TLS = tls
    settings.OUTREACH_SMTP_CA_FILE = ca_file


def _sockets_to(port: int) -> int:
    """How many of this process's sockets are connected to 127.0.0.1:`port` (from /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if int(remote.split(":")[1], 16) == port and state != "0A":  # 0A: listening
            inodes.add(inode)
    mine = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            mine += 1
    return mine


def _notify_and_drain(world: World) -> Message:
    coordinator = world.users["coordinator"]
    services.notify(
        viewer_for(coordinator),
        audit.Actor.of(coordinator),
        kind="notice",
        context=CONTEXT,
        organizations=[world.org_a],
        user=coordinator,
    )
    drain()
    return Message.objects.get()


@pytest.mark.django_db
def test_a_relay_offering_starttls_gets_the_mail_encrypted(
    world: World, outbox: SmtpSink, starttls_sink: SmtpSink, ca_file: str, settings: Any
) -> None:
    _point_at(settings, outbox, starttls_sink, "starttls", ca_file)
    message = _notify_and_drain(world)
    assert message.state == Message.ACCEPTED, message.last_error
    [received] = starttls_sink.received.messages
    assert received["tls"] is True
    assert outbox.received.total == 0
    # The sender waited for its TLS connection to close (close_notify both ways) before
    # closing its loop: no socket to the relay is left open behind it.
    assert _sockets_to(starttls_sink.port) == 0


@pytest.mark.django_db
def test_a_relay_certificate_that_does_not_verify_keeps_the_mail_queued_never_in_clear(
    world: World, outbox: SmtpSink, starttls_sink: SmtpSink, settings: Any
) -> None:
    # No CA file: the throwaway authority is not in the system's store.
    _point_at(settings, outbox, starttls_sink, "starttls", "")
    message = _notify_and_drain(world)
    assert message.state == Message.QUEUED
    assert "CERTIFICATE_VERIFY_FAILED" in message.last_error
    assert "DNSCC_SMTP_CA_FILE" in message.last_error  # what to do about it
    assert starttls_sink.received.total == 0


@pytest.mark.django_db
def test_a_required_tls_refuses_a_relay_that_does_not_offer_it(
    world: World, outbox: SmtpSink, ca_file: str, settings: Any
) -> None:
    _point_at(settings, outbox, outbox, "required", ca_file)  # the plain loopback sink
    message = _notify_and_drain(world)
    assert message.state == Message.QUEUED
    assert "does not offer STARTTLS" in message.last_error
    assert outbox.received.total == 0


@pytest.mark.django_db
def test_implicit_tls_speaks_tls_from_the_first_byte(
    world: World, outbox: SmtpSink, implicit_sink: SmtpSink, ca_file: str, settings: Any
) -> None:
    _point_at(settings, outbox, implicit_sink, "implicit", ca_file)
    message = _notify_and_drain(world)
    assert message.state == Message.ACCEPTED, message.last_error
    [received] = implicit_sink.received.messages
    assert received["tls"] is True


@pytest.mark.django_db
def test_a_relay_without_starttls_gets_clear_text_by_default(
    world: World, outbox: SmtpSink
) -> None:
    message = _notify_and_drain(world)
    assert message.state == Message.ACCEPTED
    [received] = outbox.received.messages
    assert received["tls"] is False


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DNSCC_SMTP_TLS": "sometimes"}, "DNSCC_SMTP_TLS='sometimes' must be one of"),
        ({"DNSCC_SMTP_CA_FILE": "/nonexistent/ca.pem"}, "DNSCC_SMTP_CA_FILE='/nonexistent"),
    ],
)
def test_bad_tls_settings_stop_the_center_naming_the_variable(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    environ = {**os.environ, "DNSCC_DEV": "1", "DNSCC_DATA_DIR": str(tmp_path), **env}
    done = subprocess.run(
        [sys.executable, "-m", "dnscc", "check"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert named in done.stderr
    assert "Traceback" not in done.stderr
