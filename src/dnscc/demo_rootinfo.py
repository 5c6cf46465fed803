"""The demo's root server information: the real RSSAC002 sample (June 2024, every letter),
one synthetic day after it (15 June, marked as such in its source) on which k-root receives
eight times its queries, so that an anomaly and its alert are there to see; a root-level
incident about it with the root server operators as parties, a status note from RIPE NCC
(user `rootops`, a member of it), and, with the lab, a few RSSAC047 rounds against the lab's
root servers.

Idempotent: the sample and the synthetic day ingest as "unchanged" the second time; the
incident is found again by its title.
"""

from __future__ import annotations

import io
import re
import tarfile
from typing import Any

from django.db import transaction

from dnscc.accounts import audit
from dnscc.core.rssac002 import LETTERS

ACTOR = audit.Actor("demo")
INCIDENT_TITLE = "Query flood against k-root (demo)"
FLOOD_LETTER, FLOOD_FACTOR = "k", 8


def _flood_tarball(sample: Any) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for letter in LETTERS:
            for metric, counts in (
                (
                    "traffic-volume",
                    r"(dns-(?:udp|tcp)-(?:queries|responses)-[a-z-]+ipv[46]: )(\d+)",
                ),
                ("rcode-volume", r"(^'?\d+'?: )(\d+)"),
            ):
                name = f"{letter}-root-20240614-{metric}.yaml"
                text = (sample / "2024/06" / metric / name).read_bytes().decode()
                text = text.replace("2024-06-14", "2024-06-15")
                if letter == FLOOD_LETTER:
                    text = re.sub(
                        counts, lambda m: f"{m[1]}{int(m[2]) * FLOOD_FACTOR}", text, flags=re.M
                    )
                _add(tar, f"synthetic-demo/2024/06/{metric}/{name.replace('0614', '0615')}", text)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def load_rootinfo(*, with_lab: bool, password: str) -> list[str]:
    """Load the root server demo (once); what it did, as lines."""
    from pathlib import Path

    from dnscc.core import rssac002
    from dnscc.rootinfo.ingest import ingest, ingest_upload

    done: list[str] = []
    sample = Path(rssac002.__file__).resolve().parent.parent / "data" / "rssac002"
    run = ingest(sample, actor=ACTOR, jobs=1)
    if run.files_new:
        done.append(f"root servers: the real RSSAC002 sample of June 2024 ({run.files_new} files)")
    flood = ingest_upload(
        "synthetic-k-root-flood-2024-06-15.tar.gz", io.BytesIO(_flood_tarball(sample)), actor=ACTOR
    )
    if flood.files_new:
        done.append("root servers: a synthetic flood on k-root, 15 June 2024 (an anomaly alert)")
    done += _incident(password)
    if with_lab:
        done += _measure()
    return done


def _incident(password: str) -> list[str]:
    from django.contrib.auth import get_user_model

    from dnscc.accounts.services import create_user, viewer_for
    from dnscc.directory.models import Organization, RootServer
    from dnscc.incidents import services, status_notes
    from dnscc.incidents.models import Incident

    if Incident.objects.filter(title=INCIDENT_TITLE).exists():
        return []
    k = RootServer.objects.filter(letter=FLOOD_LETTER).select_related("operator").first()
    user = get_user_model().objects.get(username="coordinator")
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    with transaction.atomic():
        incident = services.create_incident(
            viewer,
            ACTOR,
            {
                "title": INCIDENT_TITLE,
                "summary": "k-root's published figures show eight times its usual queries on"
                " 15 June (synthetic demo data). Root server operators: post your status.",
                "dns_type": "root-server-anomaly",
                "impact": "high",
                "urgency": "medium",
                "tlp": "AMBER",
                "scope": {"tlds": ["."], "names": [], "ips": [], "resolvers": []},
            },
            user=user,
        )
        incident = services.update_incident(
            viewer, actor, incident, {"status": Incident.OPEN}, version=incident.version
        )
        services.notify_parties(viewer, actor, incident, user=user)
    lines = [f"root servers: incident {incident.ref} with the root server operators as parties"]
    if k is None or k.operator.kind != Organization.ROOT_SERVER_OPERATOR:
        return lines
    rootops = get_user_model().objects.filter(username="rootops").first()
    if rootops is None:
        rootops = create_user(
            "rootops",
            role="operator",
            organization=k.operator,
            email="noc@k-root.example",
            password=password,
            actor=ACTOR,
            check_password=False,
        )
    status_notes.post(
        viewer_for(rootops),
        audit.Actor.of(rootops),
        incident,
        "k-root: the extra queries come from a few networks; all anycast sites answer, "
        "latency normal. Filtering at the busiest sites.",
        "AMBER",
    )
    lines.append(f"root servers: a status note from {k.operator.name} (log in as rootops)")
    return lines


def _measure() -> list[str]:
    from dnscc.core.errors import DnsccError
    from dnscc.rootinfo.rssac047 import run_round

    try:
        rows = run_round(timeout=2.0)
    except DnsccError as exc:
        return [f"root servers: no RSSAC047 round ({exc.message})"]
    answered = sum(1 for m in rows if any(p["ok"] for p in m.results))
    return [f"root servers: one RSSAC047 round, {answered} of {len(rows)} letters answering"]
