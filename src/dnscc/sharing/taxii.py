"""The TAXII 2.1 server under /taxii2/: plain Django views on the center's own stack
(medallion, the reference server, has had no release since 2020).

    /taxii2/                                           discovery (the caller's API roots)
    /taxii2/{group}/                                   API root: one per trust group
    /taxii2/{group}/status/{id}/                       status of a write
    /taxii2/{group}/collections/                       collections the caller may read or write
    /taxii2/{group}/collections/{id}/                  one collection
    /taxii2/{group}/collections/{id}/manifest/         manifest records
    /taxii2/{group}/collections/{id}/objects/          objects (GET: pages; POST: add)
    /taxii2/{group}/collections/{id}/objects/{oid}/    one object's versions as an envelope
    /taxii2/{group}/collections/{id}/objects/{oid}/versions/

Authentication: `Authorization: Bearer <API token>`, or HTTP Basic with the user name and an
API token as the password (what most TAXII clients offer), or the portal session for reads.
A group the caller may not use, a collection it may not see, an object it may not see: the
same 404, so nothing tells them apart. Every object served is recorded (sharing.serve).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from dnscc.accounts.services import authenticate_token, viewer_for
from dnscc.core.errors import DnsccError, InputError, NotFoundError, PermissionDenied
from dnscc.core.tlp import Viewer
from dnscc.sharing import groups, serve
from dnscc.sharing.models import Collection, TaxiiStatus, TrustGroup

MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=MEDIA)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error(status: int, title: str, description: str = "") -> HttpResponse:
    """A TAXII error message."""
    body = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    response = _json(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="dnscc TAXII", Bearer realm="dnscc TAXII"'
    return response


def _authenticate(request: HttpRequest) -> Any:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        return authenticate_token(credentials.strip())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, _, secret = decoded.partition(":")
        user = authenticate_token(secret)
        return user if user is not None and user.get_username() == username else None
    if header:
        return None
    # Reads only: a write with the session would need the portal's CSRF token.
    if request.method in ("GET", "HEAD") and request.user.is_authenticated:
        return request.user
    return None


def _acceptable(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accept:
        return True
    return any(kind in accept for kind in ("application/taxii+json", "application/json", "*/*"))


View = Callable[..., HttpResponse]


def taxii_view(*methods: str) -> Callable[[View], View]:
    """Authenticate, check the method and Accept header, and map errors to TAXII errors."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(405, "Method not allowed", f"use {', '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            user = _authenticate(request)
            if user is None:
                return error(401, "Authentication required", "send an API token (Bearer or Basic)")
            viewer = viewer_for(user)
            if viewer.role is None:
                return error(403, "Forbidden", "your account has no role in the center yet")
            if not _acceptable(request):
                return error(406, "Not acceptable", f"this server answers {MEDIA}")
            request.taxii_user = user  # type: ignore[attr-defined]
            try:
                return view(request, viewer, *args, **kwargs)
            except NotFoundError as exc:
                return error(404, "Not found", exc.message)
            except PermissionDenied as exc:
                return error(403, "Forbidden", exc.message)
            except InputError as exc:
                return error(400, "Bad request", str(exc))
            except DnsccError as exc:
                return error(400, "Bad request", exc.message)

        return wrapper

    return decorate


def _root_url(group: TrustGroup) -> str:
    return f"{settings.BASE_URL}/taxii2/{group.slug}/"


@taxii_view("GET")
def discovery(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    roots = [_root_url(g) for g in groups.active_groups(viewer)]
    body: dict[str, Any] = {
        "title": f"{settings.OUTREACH_CSAF_PUBLISHER} TAXII server",
        "description": "One API root per trust group you are an active member of.",
        "api_roots": roots,
    }
    if roots:
        body["default"] = roots[0]
    return _json(body)


def _group(viewer: Viewer, root: str) -> TrustGroup:
    return groups.visible_group(viewer, root)


@taxii_view("GET")
def api_root(request: HttpRequest, viewer: Viewer, root: str) -> HttpResponse:
    group = _group(viewer, root)
    return _json(
        {
            "title": group.name,
            "description": group.description or f"Trust group {group.name}",
            "versions": [MEDIA],
            "max_content_length": settings.MAX_UPLOAD_BYTES,
        }
    )


def _collection_info(viewer: Viewer, collection: Collection) -> dict[str, Any]:
    return {
        "id": str(collection.uid),
        "title": collection.title,
        "description": collection.description or collection.get_kind_display(),
        "can_read": serve.can_read(viewer, collection),
        "can_write": serve.can_write(viewer, collection),
        "media_types": [STIX_MEDIA],
    }


@taxii_view("GET")
def collections(request: HttpRequest, viewer: Viewer, root: str) -> HttpResponse:
    group = _group(viewer, root)
    found = [_collection_info(viewer, c) for c in serve.readable_collections(viewer, group)]
    return _json({"collections": found} if found else {})


@taxii_view("GET")
def collection(request: HttpRequest, viewer: Viewer, root: str, uid: str) -> HttpResponse:
    group = _group(viewer, root)
    return _json(_collection_info(viewer, serve.get_collection(viewer, group, uid)))


def _readable(viewer: Viewer, root: str, uid: str) -> tuple[TrustGroup, Collection]:
    group = _group(viewer, root)
    found = serve.get_collection(viewer, group, uid)
    if not serve.can_read(viewer, found):
        raise PermissionDenied("this collection may be written to, not read")
    return group, found


def _page_headers(page: serve.Page) -> dict[str, str]:
    if not page.rows:
        return {}
    return {
        "X-TAXII-Date-Added-First": serve.taxii_timestamp(page.first_added),  # type: ignore[arg-type]
        "X-TAXII-Date-Added-Last": serve.taxii_timestamp(page.last_added),  # type: ignore[arg-type]
    }


def _envelope(page: serve.Page) -> HttpResponse:
    # The stored JSON is served as it is: no parse and dump of a thousand objects a page.
    head: dict[str, Any] = {"more": page.more}
    if page.next:
        head["next"] = page.next
    body = json.dumps(head)[:-1] + ', "objects": [' + ",".join(r.data for r in page.rows) + "]}"
    if not page.rows:
        body = json.dumps(head)
    return HttpResponse(body, content_type=MEDIA, headers=_page_headers(page))


@taxii_view("GET", "POST")
def objects(request: HttpRequest, viewer: Viewer, root: str, uid: str) -> HttpResponse:
    if request.method == "POST":
        return _add_objects(request, viewer, root, uid)
    group, found = _readable(viewer, root, uid)
    filters = serve.parse_filters(request.GET)
    page = serve.page(viewer, group, found, filters)
    serve.record_pulls(viewer, request.taxii_user, group, found, page.rows, via="taxii")  # type: ignore[attr-defined]
    return _envelope(page)


@taxii_view("GET")
def one_object(
    request: HttpRequest, viewer: Viewer, root: str, uid: str, object_id: str
) -> HttpResponse:
    group, found = _readable(viewer, root, uid)
    base = serve.parse_filters(request.GET)
    filters = serve.Filters(
        added_after=base.added_after,
        next=base.next,
        ids=(object_id,),
        versions=base.versions,
        limit=base.limit,
    )
    page = serve.page(viewer, group, found, filters)
    if not page.rows and not base.added_after and not base.next:
        raise NotFoundError(f"no object {object_id[:120]!r}")
    serve.record_pulls(viewer, request.taxii_user, group, found, page.rows, via="taxii")  # type: ignore[attr-defined]
    return _envelope(page)


@taxii_view("GET")
def versions(
    request: HttpRequest, viewer: Viewer, root: str, uid: str, object_id: str
) -> HttpResponse:
    group, found = _readable(viewer, root, uid)
    rows = serve.versions(viewer, group, found, object_id)
    if not rows:
        raise NotFoundError(f"no object {object_id[:120]!r}")
    return _json(
        {"more": False, "versions": [r.version for r in rows]},
        headers=_page_headers(serve.Page(rows=rows)),
    )


@taxii_view("GET")
def manifest(request: HttpRequest, viewer: Viewer, root: str, uid: str) -> HttpResponse:
    group, found = _readable(viewer, root, uid)
    page = serve.page(viewer, group, found, serve.parse_filters(request.GET))
    body: dict[str, Any] = {"more": page.more}
    if page.next:
        body["next"] = page.next
    if page.rows:
        body["objects"] = [
            {
                "id": r.stix_id,
                "date_added": serve.taxii_timestamp(r.date_added),
                "version": r.version,
                "media_type": STIX_MEDIA,
            }
            for r in page.rows
        ]
    from dnscc.accounts import audit

    if page.rows:
        audit.disclosed(
            audit.Actor.of(request.taxii_user),  # type: ignore[attr-defined]
            "sharing.manifest",
            ids=[r.stix_id for r in page.rows],
            how="taxii",
            group=group.slug,
        )
    return _json(body, headers=_page_headers(page))


def _add_objects(request: HttpRequest, viewer: Viewer, root: str, uid: str) -> HttpResponse:
    from dnscc.sharing import submissions

    if request.META.get("HTTP_AUTHORIZATION") is None:
        return error(401, "Authentication required", "a write needs an API token")
    group = _group(viewer, root)
    found = serve.get_collection(viewer, group, uid)
    if not serve.can_write(viewer, found):
        raise PermissionDenied("this collection may be read, not written to")
    if "taxii+json" not in (request.content_type or "") and "json" not in (
        request.content_type or ""
    ):
        return error(415, "Unsupported media type", f"send {MEDIA}")
    status = submissions.add_objects(
        viewer,
        request.taxii_user,
        group,
        found,
        io.BytesIO(request.body),  # type: ignore[attr-defined]
    )
    return _json(status_resource(status), status=202)


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    return {
        "id": str(status.uid),
        "status": "complete",
        "request_timestamp": serve.taxii_timestamp(status.request_timestamp),
        "total_count": status.total,
        "success_count": len(status.successes),
        "successes": status.successes,
        "failure_count": len(status.failures),
        "failures": status.failures,
        "pending_count": 0,
    }


@taxii_view("GET")
def status_view(request: HttpRequest, viewer: Viewer, root: str, uid: str) -> HttpResponse:
    group = _group(viewer, root)
    status = (
        TaxiiStatus.objects.filter(uid__iexact=uid, group=group).first() if _uuid(uid) else None
    )
    if status is None or not (viewer.is_staff or status.organization_id == viewer.organization_id):
        raise NotFoundError(f"no status {uid[:60]!r}")
    return _json(status_resource(status))


def _uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


patterns = [
    path("", discovery, name="discovery"),
    path("<slug:root>/", api_root, name="root"),
    path("<slug:root>/status/<str:uid>/", status_view, name="status"),
    path("<slug:root>/collections/", collections, name="collections"),
    path("<slug:root>/collections/<str:uid>/", collection, name="collection"),
    path("<slug:root>/collections/<str:uid>/manifest/", manifest, name="manifest"),
    path("<slug:root>/collections/<str:uid>/objects/", objects, name="objects"),
    path(
        "<slug:root>/collections/<str:uid>/objects/<str:object_id>/",
        one_object,
        name="object",
    ),
    path(
        "<slug:root>/collections/<str:uid>/objects/<str:object_id>/versions/",
        versions,
        name="versions",
    ),
]
