"""Authorization matrix rows of campaigns (collected by tests/test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.authz import Row, api_statuses, page_statuses
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


_C = "/api/v1/campaigns/{slug}"
API_ROWS += [
    Row("POST", _C + "/verify", api_statuses(202), setup=_results, mutates=True),
    Row("GET", _C + "/dashboard", api_statuses(200), setup=_results, secrets=("Alpha Registry",)),
    Row("GET", _C + "/report.csv", api_statuses(200), setup=_results, secrets=("dga0.alpha",)),
    Row("GET", _C + "/report.json", api_statuses(200), setup=_results, secrets=("dga0.alpha",)),
    Row("GET", _C + "/campaign.rpz", api_statuses(200), setup=_results, secrets=("dga0.alpha",)),
    Row(
        "GET",
        _C + "/slices/{slice_id}/verification",
        # The operator sees its own slice; the other registry gets no hint it exists.
        api_statuses(200, members=404, operator=200),
        setup=_results,
        secrets=("dga0.alpha",),
    ),
]
PAGE_ROWS += [
    Row(
        "GET",
        "/campaigns/{slug}/dashboard/",
        page_statuses(200),
        setup=_results,
        secrets=("dga0.alpha", "Alpha Registry"),
    ),
    Row("POST", "/campaigns/{slug}/verify/", page_statuses(302), setup=_results, mutates=True),
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


_S = "/api/v1/campaigns/{slug}"
_SLICE = _S + "/slices/{slice_id}"
API_ROWS += [
    Row(
        "GET",
        "/api/v1/campaigns/",
        api_statuses(200, members=200),
        setup=_campaign,
        secrets=(_TITLE,),
        secret_for=("partner", "outsider"),
    ),
    Row(
        "POST",
        "/api/v1/campaigns/",
        api_statuses(201),
        body=lambda w: {"incident": "DNSCC-2026-0901", "title": "New", "due_date": "2026-12-01"},
        setup=_incident,
        mutates=True,
    ),
    Row("GET", _S, _own_slice(operator=200), setup=_campaign, secrets=(_TITLE,)),
    Row(
        "POST",
        _S + "/names",
        api_statuses(201),
        body=_names_upload,
        json_body=False,
        setup=_campaign,
        mutates=True,
    ),
    Row(
        "POST",
        _S + "/generate",
        api_statuses(201),
        body=lambda w: {
            "generator": "conficker-b",
            "start": "2020-01-01",
            "end": "2020-01-01",
            "action": "block",
            "legal_basis": "court_order",
            "legal_reference": "Case 3",
        },
        setup=_campaign,
        mutates=True,
    ),
    Row("POST", _S + "/deliver", api_statuses(200), setup=_campaign, mutates=True),
    Row("POST", _S + "/end", api_statuses(200), setup=_campaign, mutates=True),
    Row(
        "GET",
        _S + "/slices",
        _own_slice(operator=200),
        setup=_campaign,
        secrets=("Bravo Registry",),
        secret_for=("operator",),
    ),
    Row("GET", _SLICE, _own_slice(operator=200), setup=_campaign, secrets=("alpha-registry",)),
    # The other registry's slice: never to the operator of org_a (nor to org_b before
    # delivery).
    Row("GET", _SLICE, _own_slice(operator=404), setup=_other_slice, secrets=("bravo",)),
    Row(
        "GET",
        _SLICE + "/manifest.{fmt}",
        _own_slice(operator=200),
        setup=_campaign,
        secrets=("a.alpha",),
    ),
    Row(
        "GET",
        _SLICE + "/manifest.{fmt}",
        _own_slice(operator=404),
        setup=_other_slice,
        secrets=("x.bravo",),
    ),
    Row("POST", _SLICE + "/acknowledge", _own_slice(operator=200), setup=_campaign, mutates=True),
    Row(
        "POST",
        _SLICE + "/outcomes",
        _own_slice(operator=200),
        body=lambda w: [{"name": "a.alpha", "outcome": "done", "note": ""}],  # type: ignore[arg-type, return-value]
        setup=_campaign,
        mutates=True,
    ),
]

_P = "/campaigns/{slug}"
_PSLICE = _P + "/slices/{slice_id}"
PAGE_ROWS += [
    Row(
        "GET",
        "/campaigns/",
        page_statuses(200, members=200),
        setup=_campaign,
        secrets=(_TITLE,),
        secret_for=("partner", "outsider"),
    ),
    Row("GET", "/campaigns/new/", page_statuses(200)),
    Row(
        "POST",
        "/campaigns/new/",
        page_statuses(302),
        body=lambda w: {"incident": "DNSCC-2026-0901", "title": "New", "due_date": "2026-12-01"},
        setup=_incident,
        mutates=True,
    ),
    Row("GET", _P + "/", page_statuses(200, members=404, operator=200), setup=_campaign),
    Row(
        "POST",
        _P + "/names/",
        page_statuses(302),
        body=_names_upload,
        setup=_campaign,
        mutates=True,
    ),
    # `confirm`: the confirmation page's answer (without it, staff get the question, 200).
    Row(
        "POST",
        _P + "/deliver/",
        page_statuses(302),
        body=lambda w: {"confirm": "yes"},
        setup=_campaign,
        mutates=True,
    ),
    Row(
        "POST",
        _P + "/end/",
        page_statuses(302),
        body=lambda w: {"confirm": "yes"},
        setup=_campaign,
        mutates=True,
    ),
    Row(
        "GET",
        _PSLICE + "/",
        page_statuses(200, members=404, operator=200),
        setup=_campaign,
        secrets=("a.alpha",),
    ),
    Row(
        "GET",
        _PSLICE + "/",
        page_statuses(200, members=404, operator=404),
        setup=_other_slice,
        secrets=("x.bravo",),
    ),
    Row(
        "GET",
        _PSLICE + "/manifest.csv",
        page_statuses(200, members=404, operator=200),
        setup=_campaign,
        secrets=("a.alpha",),
    ),
    Row(
        "POST",
        _PSLICE + "/acknowledge/",
        page_statuses(302, members=404, operator=302),
        setup=_campaign,
        mutates=True,
    ),
    Row(
        "POST",
        _PSLICE + "/outcomes/",
        page_statuses(302, members=404, operator=302),
        body=_outcomes_upload,
        setup=_campaign,
        mutates=True,
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
