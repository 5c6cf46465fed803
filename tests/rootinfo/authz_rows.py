"""Authorization matrix rows of the root server information space (collected by
tests/test_authz_matrix.py). Staff only among the matrix's roles: the space is shared with
root server operators, and none of the matrix's organisations is one (their access is
tested with a root operator's member in tests/rootinfo/test_views.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.authz import Row, api_statuses, page_statuses
from tests.conftest import World

YAML = (
    b"---\nversion: rssac002v4\nservice: a.root-servers.net\n"
    b"start-period: '2024-06-01T00:00:00Z'\nmetric: unique-sources\n"
    b"num-sources-ipv4: 7920297\nnum-sources-ipv6: 1446738\nnum-sources-ipv6-aggregate: 440186\n"
)
SECRET = "Matrix anomaly method"  # shown on the anomaly page only


def _objects(world: World) -> dict[str, Any]:
    from dnscc.rootinfo.models import Anomaly, LetterDay, Measurement

    LetterDay.objects.create(letter="a", day=date(2024, 6, 1), queries_udp4=10)
    Anomaly.objects.create(
        letter="a",
        series="queries",
        day=date(2024, 6, 1),
        value=100.0,
        baseline=10.0,
        spread=1.0,
        score=90.0,
        method=SECRET,
        found_at=timezone.now(),
    )
    Measurement.objects.create(
        letter="a",
        at=datetime(2024, 6, 1, 0, 5, tzinfo=UTC),
        results=[
            {
                "address": "192.0.2.1",
                "transport": "udp",
                "ok": True,
                "ms": 3.0,
                "serial": 1,
                "error": "",
            }
        ],
        correct=True,
        serial=1,
    )
    return {"month": "2024-06"}


def _upload(world: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("a-root-20240601-unique-sources.yaml", YAML)}


def snapshot() -> dict[str, Any]:
    from dnscc.incidents.models import StatusNote
    from dnscc.rootinfo.models import DailyFile, IngestRun, Measurement

    return {
        "rootinfo_files": DailyFile.objects.count(),
        "rootinfo_runs": IngestRun.objects.count(),
        "rootinfo_measurements": Measurement.objects.count(),
        "status_notes": StatusNote.objects.count(),
    }


_A = "/api/v1/rootinfo"
API_ROWS = [
    Row("GET", f"{_A}/letters", api_statuses(200), setup=_objects),
    Row("GET", f"{_A}/days", api_statuses(200), setup=_objects),
    Row("GET", f"{_A}/runs", api_statuses(200)),
    Row("POST", f"{_A}/runs", api_statuses(201), body=_upload, json_body=False, mutates=True),
    Row("GET", f"{_A}/anomalies", api_statuses(200), setup=_objects, secrets=(SECRET,)),
    Row("GET", f"{_A}/rssac047/{{month}}", api_statuses(200), setup=_objects),
    Row("POST", f"{_A}/rounds", api_statuses(202), mutates=True),
]

PAGE_ROWS = [
    Row("GET", "/rootinfo/", page_statuses(200), setup=_objects, secrets=(SECRET,)),
    Row("GET", "/rootinfo/letter/a/", page_statuses(200), setup=_objects, secrets=(SECRET,)),
    Row(
        "GET",
        "/rootinfo/anomaly/a/queries/2024-06-01/",
        page_statuses(200),
        setup=_objects,
        secrets=(SECRET,),
    ),
    Row(
        "GET", "/rootinfo/export?from=2024-06-01&to=2024-06-02", page_statuses(200), setup=_objects
    ),
    Row("GET", "/rootinfo/ingest/", page_statuses(200)),
    Row("POST", "/rootinfo/ingest/", page_statuses(302), body=_upload, mutates=True),
    Row("GET", "/rootinfo/rssac047/", page_statuses(200), setup=_objects),
    Row("GET", "/rootinfo/rssac047/{month}/", page_statuses(200), setup=_objects),
    Row("GET", "/rootinfo/rssac047/{month}/report.csv", page_statuses(200), setup=_objects),
]


# The root operators' status notes on an incident (the incident of the incidents rows, where
# org_a, a TLD registry, is a party: not a root server operator, so it may not post).
def _incident(world: World) -> dict[str, Any]:
    from tests.incidents.authz_pages import _objects as incident_objects

    return {**incident_objects(world), "ref": _REF}


_REF = "DNSCC-2026-0901"
API_ROWS += [
    Row(
        "GET",
        "/api/v1/incidents/{ref}/status-notes",
        api_statuses(200, members=404, operator=200),
        setup=_incident,
    ),
    Row(
        "POST",
        "/api/v1/incidents/{ref}/status-notes",
        api_statuses(403, members=404, operator=403),
        body=lambda w: {"text": "all letters answering", "tlp": "AMBER"},
        setup=_incident,
        mutates=True,
    ),
]
PAGE_ROWS += [
    Row(
        "POST",
        f"/incidents/{_REF}/status-notes",
        page_statuses(403, members=404, operator=403),
        body=lambda w: {"text": "all letters answering", "tlp": "AMBER"},
        setup=_incident,
        mutates=True,
    ),
]
