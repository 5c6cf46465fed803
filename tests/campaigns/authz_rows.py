"""Authorization matrix rows of campaigns (collected by tests/test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.authz import Row, Rows, api_statuses, page_statuses
from tests.conftest import World

API_ROWS: list[Row] = []
PAGE_ROWS: list[Row] = []


# -- verification, dashboard and exports ------------------------------------------------


def make_results_campaign(
    world: World, *, slug: str = "avalanche", names_per_tld: int = 3, deadline_hours: int = -2
) -> Any:
    """An active campaign of org_a (.alpha) and org_b (.bravo), delivered, with targets,
    built from rows (as the campaign services would leave it). Deadline relative to now."""
    from dnscc.campaigns.models import SUSPEND, Campaign, NameList, Slice, Target
    from dnscc.incidents.models import Incident

    now = timezone.now()
    incident = Incident.objects.create(
        ref=f"DNSCC-2026-{Incident.objects.count() + 1:04d}", title="Avalanche", created_at=now
    )
    campaign = Campaign.objects.create(
        incident=incident,
        slug=slug,
        title="Avalanche takedown",
        status=Campaign.ACTIVE,
        due_date=(now + dt.timedelta(hours=deadline_hours)).date(),
        delivered_at=now - dt.timedelta(days=3),
        created_by=world.users["coordinator"],
    )
    name_list = NameList.objects.create(
        campaign=campaign,
        kind=NameList.UPLOAD,
        source="names.txt",
        action=SUSPEND,
        legal_basis="court_order",
        legal_reference="LG Verden 2016",
    )
    deadline = now + dt.timedelta(hours=deadline_hours)
    for org, tld in ((world.org_a, world.tld_a.name), (world.org_b, world.tld_b.name)):
        s = Slice.objects.create(
            campaign=campaign,
            organization=org,
            tlds=[tld],
            names=names_per_tld,
            deadline=deadline,
            state=Slice.DELIVERED,
            delivered_at=now - dt.timedelta(days=3),
        )
        Target.objects.bulk_create(
            Target(
                campaign=campaign,
                slice=s,
                name_list=name_list,
                name=f"dga{i}.{tld}",
                tld=tld,
                action=SUSPEND,
            )
            for i in range(names_per_tld)
        )
    campaign.names_total = 2 * names_per_tld
    campaign.save(update_fields=["names_total"])
    return campaign


def _results(world: World) -> dict[str, Any]:
    from dnscc.campaigns.models import Slice

    campaign = make_results_campaign(world, slug="matrix")
    return {
        "slug": campaign.slug,
        "slice_id": Slice.objects.get(campaign=campaign, organization=world.org_a).pk,
    }


def snapshot() -> dict[str, Any]:
    from dnscc.campaigns.models import Slice, Target, VerificationRun

    return {
        "runs": VerificationRun.objects.count(),
        "verified": sorted(Target.objects.values_list("pk", "observed", "verified_ok")),
        "slices": sorted(Slice.objects.values_list("pk", "verified_ok", "escalation_level")),
        **_services_snapshot(),
    }


_results_api = Rows("/api/v1/campaigns/{slug}", setup=_results)
API_ROWS += [
    _results_api.post("/verify", api_statuses(202)),
    _results_api.get("/dashboard", api_statuses(200), secrets=("Alpha Registry",)),
    _results_api.get("/report.csv", api_statuses(200), secrets=("dga0.alpha",)),
    _results_api.get("/report.json", api_statuses(200), secrets=("dga0.alpha",)),
    _results_api.get("/campaign.rpz", api_statuses(200), secrets=("dga0.alpha",)),
    _results_api.get(
        "/slices/{slice_id}/verification",
        # The operator sees its own slice; the other registry gets no hint it exists.
        api_statuses(200, members=404, operator=200),
        secrets=("dga0.alpha",),
    ),
]
_results_page = Rows("/campaigns/{slug}", setup=_results)
PAGE_ROWS += [
    _results_page.get("/dashboard/", page_statuses(200), secrets=("dga0.alpha", "Alpha Registry")),
    _results_page.post("/verify/", page_statuses(302)),
]


# -- creation, names, slices, delivery, acknowledgements, outcomes -----------------------

_TITLE = "Matrix Takedown"


def _campaign(world: World) -> dict[str, Any]:
    """A campaign with org_a's slice delivered (a.alpha, b.alpha) and org_b's pending
    (x.bravo): the operator sees its own slice, the outsider (org_b) sees nothing yet."""
    import io

    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.campaigns import services
    from dnscc.campaigns.models import Slice
    from dnscc.incidents.models import Incident

    Incident.objects.get_or_create(
        ref="DNSCC-2026-0900", defaults={"title": "matrix", "created_at": timezone.now()}
    )
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    campaign = services.create_campaign(
        viewer,
        actor,
        incident_ref="DNSCC-2026-0900",
        title=_TITLE,
        due_date=dt.date(2026, 12, 1),
        user=user,
    )
    legal = {"action": "block", "legal_basis": "court_order", "legal_reference": "Case 1"}
    services.load_names(
        viewer, actor, campaign, io.BytesIO(b"a.alpha\nb.alpha\n"), filename="a.txt", **legal
    )
    services.deliver(viewer, actor, campaign)
    services.load_names(
        viewer, actor, campaign, io.BytesIO(b"x.bravo\n"), filename="b.txt", **legal
    )
    own = Slice.objects.get(campaign=campaign, organization=world.org_a)
    other = Slice.objects.get(campaign=campaign, organization=world.org_b)
    return {
        "slug": campaign.slug,
        "slice_id": own.pk,
        "other_slice": other.pk,
        "fmt": "csv",
    }


def _other_slice(world: World) -> dict[str, Any]:
    extra = _campaign(world)
    return {**extra, "slice_id": extra["other_slice"]}


def _incident(world: World) -> dict[str, Any]:
    from dnscc.incidents.models import Incident

    Incident.objects.create(ref="DNSCC-2026-0901", title="matrix", created_at=timezone.now())
    return {}


def _names_upload(world: World) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("more.txt", b"c.alpha\n"),
        "action": "block",
        "legal_basis": "court_order",
        "legal_reference": "Case 2",
    }


def _outcomes_upload(world: World) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("out.csv", b"a.alpha,done\n")}


def _own_slice(**kw: int) -> dict[str, int]:
    """Staff and the slice's own operator; the other registry and partners get 404."""
    return api_statuses(200, members=404, **kw)


_api = Rows("/api/v1/campaigns", setup=_campaign)
_S = "/{slug}"
_SLICE = _S + "/slices/{slice_id}"
_NEW = {"incident": "DNSCC-2026-0901", "title": "New", "due_date": "2026-12-01"}
API_ROWS += [
    _api.get(
        "/",
        api_statuses(200, members=200),
        secrets=(_TITLE,),
        secret_for=("partner", "outsider"),
    ),
    _api.post("/", api_statuses(201), body=_NEW, setup=_incident),
    _api.get(_S, _own_slice(operator=200), secrets=(_TITLE,)),
    _api.post(_S + "/names", api_statuses(201), body=_names_upload, json_body=False),
    _api.post(
        _S + "/generate",
        api_statuses(201),
        body={
            "generator": "conficker-b",
            "start": "2020-01-01",
            "end": "2020-01-01",
            "action": "block",
            "legal_basis": "court_order",
            "legal_reference": "Case 3",
        },
    ),
    _api.post(_S + "/deliver", api_statuses(200)),
    _api.post(_S + "/end", api_statuses(200)),
    _api.get(
        _S + "/slices",
        _own_slice(operator=200),
        secrets=("Bravo Registry",),
        secret_for=("operator",),
    ),
    _api.get(_SLICE, _own_slice(operator=200), secrets=("alpha-registry",)),
    # The other registry's slice: never to the operator of org_a (nor to org_b before
    # delivery).
    _api.get(_SLICE, _own_slice(operator=404), setup=_other_slice, secrets=("bravo",)),
    _api.get(_SLICE + "/manifest.{fmt}", _own_slice(operator=200), secrets=("a.alpha",)),
    _api.get(
        _SLICE + "/manifest.{fmt}",
        _own_slice(operator=404),
        setup=_other_slice,
        secrets=("x.bravo",),
    ),
    _api.post(_SLICE + "/acknowledge", _own_slice(operator=200)),
    _api.post(
        _SLICE + "/outcomes",
        _own_slice(operator=200),
        body=lambda w: [{"name": "a.alpha", "outcome": "done", "note": ""}],  # type: ignore[arg-type, return-value]
    ),
]

_page = Rows("/campaigns", setup=_campaign)
_P = "/{slug}"
_PSLICE = _P + "/slices/{slice_id}"
_OWN_PAGE = page_statuses(200, members=404, operator=200)
PAGE_ROWS += [
    _page.get(
        "/",
        page_statuses(200, members=200),
        secrets=(_TITLE,),
        secret_for=("partner", "outsider"),
    ),
    _page.get("/new/", page_statuses(200), setup=None),
    _page.post("/new/", page_statuses(302), body=_NEW, setup=_incident),
    _page.get(_P + "/", _OWN_PAGE),
    _page.post(_P + "/names/", page_statuses(302), body=_names_upload),
    # `confirm`: the confirmation page's answer (without it, staff get the question, 200).
    _page.post(_P + "/deliver/", page_statuses(302), body={"confirm": "yes"}),
    _page.post(_P + "/end/", page_statuses(302), body={"confirm": "yes"}),
    _page.get(_PSLICE + "/", _OWN_PAGE, secrets=("a.alpha",)),
    _page.get(
        _PSLICE + "/",
        page_statuses(200, members=404, operator=404),
        setup=_other_slice,
        secrets=("x.bravo",),
    ),
    _page.get(_PSLICE + "/manifest.csv", _OWN_PAGE, secrets=("a.alpha",)),
    _page.post(_PSLICE + "/acknowledge/", page_statuses(302, members=404, operator=302)),
    _page.post(
        _PSLICE + "/outcomes/",
        page_statuses(302, members=404, operator=302),
        body=_outcomes_upload,
    ),
]


def _services_snapshot() -> dict[str, Any]:
    from dnscc.campaigns.models import Campaign, NameList, Slice, Target

    return {
        "campaigns": sorted(Campaign.objects.values_list("pk", "status", "names_total")),
        "lists": NameList.objects.count(),
        "targets": sorted(Target.objects.values_list("pk", "outcome", "slice_id")),
        "slice_states": sorted(
            Slice.objects.values_list("pk", "state", "acknowledged_at", "names")
        ),
    }
