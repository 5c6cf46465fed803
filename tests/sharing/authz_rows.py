"""Authorization matrix rows of sharing (collected by tests/test_authz_matrix.py): the API
under /api/v1/sharing/, the portal pages, the MISP feed and the TAXII server. The world's
partner (Example CERT) is the active member of the group; the operators are not members."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dnscc.incidents.models import Incident
from tests.authz import Row, Rows, api_statuses, page_statuses, statuses
from tests.conftest import World

API_ROWS: list[Row] = []
PAGE_ROWS: list[Row] = []

AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
BUNDLE = json.dumps(
    {
        "type": "bundle",
        "id": "bundle--0e1b7c6e-0c57-4f0a-9b1e-3c1d2b5f6a7e",
        "objects": [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--5d3b1d2c-6f43-4a44-9a1e-1c0a0b2b3c4d",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "pattern": "[domain-name:value = 'evil.alpha']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": [AMBER],
            }
        ],
    }
)
MISP = json.dumps(
    {
        "Event": {
            "info": "matrix",
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": [
                {
                    "type": "domain",
                    "value": "evil2.alpha",
                    "uuid": "8a0c3c9e-3c7b-4c55-9d7e-0a1b2c3d4e5f",
                }
            ],
        }
    }
)
MEMBER = {
    "admin": 200,
    "coordinator": 200,
    "partner": 200,
    "operator": 404,
    "outsider": 404,
    "norole": 403,
    "anonymous": 401,
}


# Each row gets only what its route needs (a group; a group with a publication; an import):
# the setup runs once per row and test, and publishing or importing through the services
# (stix2, audit records) is most of a row's cost.


def _staff(world: World) -> tuple[Any, Any]:
    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for

    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user)


def _group(world: World) -> dict[str, Any]:
    """The group, the world's CSIRT its active member, and a TAXII status."""
    from dnscc.directory.models import Organization
    from dnscc.sharing import groups
    from dnscc.sharing.models import TaxiiStatus

    viewer, actor = _staff(world)
    Organization.objects.filter(pk__in=[world.csirt.pk, world.org_b.pk]).update(vetting="vetted")
    world.csirt.refresh_from_db()
    group = groups.create_group(viewer, actor, name="Matrix Group", agreement="Keep it in.")
    groups.add_member(viewer, actor, group, world.csirt, accept_version=1)
    Incident.objects.create(
        ref="DNSCC-2026-0950",
        title="matrix",
        created_at=timezone.now(),
        scope={"names": ["evil.alpha"], "tlds": [], "ips": [], "resolvers": []},
    )
    status = TaxiiStatus.objects.create(
        group=group,
        username="partner1",
        organization=world.csirt,
        request_timestamp=timezone.now(),
        total=0,
    )
    return {
        "slug": group.slug,
        "root": group.slug,
        "uid": str(group.collections.get(kind="incidents").uid),
        "status_uid": str(status.uid),
        "incident": "DNSCC-2026-0950",
    }


def _published(world: World) -> dict[str, Any]:
    """The group with the incident published to it (its scope names evil.alpha)."""
    from dnscc.core import stix
    from dnscc.sharing import groups, publish

    params = _group(world)
    viewer, actor = _staff(world)
    incident = Incident.objects.get(ref=params["incident"])
    pub = publish.publish_incident(viewer, actor, groups.get_group(params["slug"]), incident)
    return {
        **params,
        "object_id": stix.stix_id("incident", incident.ref),
        "event_uid": str(pub.uid),
    }


def _imported(world: World) -> dict[str, Any]:
    """A partner's bundle imported (an indicator of evil.alpha), no group needed."""
    from dnscc.sharing import imports

    viewer, actor = _staff(world)
    imp = imports.import_stix(
        viewer,
        actor,
        io.BytesIO(BUNDLE.encode()),
        name="b.json",
        provenance="matrix",
        user=world.users["coordinator"],
    )
    return {"import_id": imp.pk}


def _campaign(world: World) -> dict[str, Any]:
    from tests.campaigns.authz_rows import make_results_campaign

    return {"slug": make_results_campaign(world, slug="shared").slug}


def snapshot() -> dict[str, Any]:
    from dnscc.sharing.models import Import, Membership, Publication, TrustGroup

    return {
        "groups": TrustGroup.objects.count(),
        "members": sorted(Membership.objects.values_list("pk", "accepted_version")),
        "publications": Publication.objects.count(),
        "imports": sorted(Import.objects.values_list("pk", "incident_ref", "campaign_slug")),
    }


_api = Rows("/api/v1/sharing", setup=_group)
_G = "/groups/{slug}"
_page = Rows("/sharing", setup=_group)
_taxii = Rows("/taxii2/{root}", setup=_group)
API_ROWS += [
    _api.get("/groups", api_statuses(200, members=200)),
    _api.post(
        "/groups",
        api_statuses(201),
        setup=None,
        body={"name": "Root operators", "agreement": "Text."},
    ),
    _api.get(_G, api_statuses(200)),
    _api.post(_G + "/members", api_statuses(201), body={"organization": "bravo-registry"}),
    _api.post(_G + "/agreement", api_statuses(201), body={"text": "Version two."}),
    _api.post(
        _G + "/accept",
        api_statuses(200, members=404, partner=200),
        body={"version": 1, "organization": "example-cert"},
    ),
    _api.post(
        _G + "/publish", api_statuses(201), body={"kind": "incident", "ref": "DNSCC-2026-0950"}
    ),
    _api.get(_G + "/publications", api_statuses(200), setup=_published),
    _api.get(_G + "/pulls", api_statuses(200)),
    _api.get("/imports", api_statuses(200), setup=_imported, secrets=("evil.alpha",)),
    _api.post(
        "/imports/stix",
        api_statuses(201),
        setup=None,
        json_body=False,
        body=lambda w: {"file": SimpleUploadedFile("b.json", BUNDLE.encode()), "provenance": "x"},
    ),
    _api.post(
        "/imports/misp",
        api_statuses(201),
        setup=None,
        json_body=False,
        body=lambda w: {"file": SimpleUploadedFile("e.json", MISP.encode()), "provenance": "x"},
    ),
    _api.get("/imports/{import_id}", api_statuses(200), setup=_imported, secrets=("evil.alpha",)),
    _api.post(
        "/imports/{import_id}/incident",
        api_statuses(201),
        setup=_imported,
        body={"title": "From a partner"},
    ),
    _api.post(
        "/imports/{import_id}/campaign",
        api_statuses(201),
        setup=_imported,
        body={
            "title": "Partner takedown",
            "due_date": "2026-12-31",
            "action": "suspend",
            "legal_basis": "other",
            "legal_reference": "Partner request",
        },
    ),
    _api.get("/campaigns/{slug}/stix", api_statuses(200), setup=_campaign, secrets=("dga0.alpha",)),
]

PAGE_ROWS += [
    _page.get("/", page_statuses(200, members=200)),
    _page.get("/groups/{slug}/", page_statuses(200)),
    _page.post("/groups/{slug}/members", page_statuses(302)),
    _page.post("/groups/{slug}/accept", page_statuses(302, members=404, partner=302)),
    _page.get(
        "/imports/{import_id}/", page_statuses(200), setup=_imported, secrets=("evil.alpha",)
    ),
    _page.post("/imports/{import_id}/incident", page_statuses(302), setup=_imported),
    _page.post("/imports/{import_id}/campaign", page_statuses(302), setup=_imported),
    _page.get("/feeds/{slug}/misp/manifest.json", MEMBER, setup=_published),
    _page.get("/feeds/{slug}/misp/hashes.csv", MEMBER, setup=_published),
    _page.get(
        "/feeds/{slug}/misp/{event_uid}.json", MEMBER, setup=_published, secrets=("evil.alpha",)
    ),
    Rows().get("/taxii2/", statuses(200, norole=403, anonymous=401)),
    _taxii.get("/", MEMBER),
    _taxii.get("/status/{status_uid}/", MEMBER),
    _taxii.get("/collections/", MEMBER),
    _taxii.get("/collections/{uid}/", MEMBER),
    _taxii.get("/collections/{uid}/manifest/", MEMBER, setup=_published),
    _taxii.get("/collections/{uid}/objects/", MEMBER, setup=_published, secrets=("evil.alpha",)),
    _taxii.post("/collections/{uid}/objects/", statuses(401)),
    _taxii.get("/collections/{uid}/objects/{object_id}/", MEMBER, setup=_published),
    _taxii.get("/collections/{uid}/objects/{object_id}/versions/", MEMBER, setup=_published),
]
