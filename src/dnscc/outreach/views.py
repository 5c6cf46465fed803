"""Portal pages of outreach, the public acknowledgement link, and the CSAF provider files."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.core.errors import DnsccError, NotFoundError, PermissionDenied, ValidationErrors
from dnscc.core.exercise_mark import wants_exercises
from dnscc.core.regions import Region
from dnscc.core.tlp import TLP, can_see
from dnscc.directory.models import Organization
from dnscc.outreach import advisories, csaf, csaf_words, health, pgp, services, templating
from dnscc.outreach.models import Advisory, Message, Notice
from dnscc.web import confirm
from dnscc.web.access import role_required


@role_required(staff=True)
def demo_mailbox(request: HttpRequest) -> HttpResponse:
    """Development mode only: what the demo's mail catcher received, newest first, with
    each mail's signature checked and encrypted ones decrypted with the center's key."""
    from django.conf import settings

    from dnscc.outreach import mailbox

    if not settings.DEV:
        raise Http404("the demo mailbox exists in development mode only")
    directory = settings.DEMO_MAILBOX_DIR
    mails = mailbox.read(directory, limit=100)
    audit.disclosed(
        audit.Actor.of(request.user), "outreach.demo_mailbox", ids=[m.name for m in mails]
    )
    return render(
        request,
        "outreach/mailbox.html",
        {"mails": mails, "total": mailbox.count(directory), "directory": directory},
    )


def _errors(request: HttpRequest, exc: DnsccError) -> None:
    if isinstance(exc, ValidationErrors):
        for e in exc.errors[:20]:
            messages.error(request, str(e))
    else:
        messages.error(request, str(exc))


@role_required(staff=True)
def outbox(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    show = wants_exercises(request.GET)
    notices_qs = Notice.objects.exclude(tlp=TLP.RED.value)
    if not show:
        notices_qs = notices_qs.filter(exercise__isnull=True)  # live (core.exercise_mark)
    notices = list(notices_qs[:50])
    messages_qs = services.visible_messages(viewer, exercises=show)
    dead = list(messages_qs.filter(state__in=[Message.DEAD, Message.HELD, Message.BOUNCED])[:100])
    counts = {s: messages_qs.filter(state=s).count() for s, _ in Message.STATE_CHOICES}
    if not show:
        counts.pop(Message.SIMULATED, None)
    audit.disclosed(
        audit.Actor.of(request.user), "outreach.message", ids=[m.key for m in dead], how="view"
    )
    return render(
        request,
        "outreach/outbox.html",
        {
            "notices": notices,
            "dead": dead,
            "counts": counts,
            "health": health.status(),
            "exercises": show,
        },
    )


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def new_notice(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    form: dict[str, Any] = {"tlp": "AMBER"}
    if request.method == "POST":
        p = request.POST
        form = {
            k: p.get(k, "")
            for k in (
                "title",
                "text",
                "tlp",
                "organizations",
                "regions",
                "kinds",
                "languages",
                "resource_constrained",
            )
        }
        try:
            tlp = TLP.parse(form["tlp"] or "AMBER")
            orgs = advisories.audience_organizations(
                {
                    **{
                        k: form[k].replace(",", " ").split()
                        for k in ("organizations", "regions", "kinds", "languages")
                    },
                    "resource_constrained": bool(form["resource_constrained"]),
                }
            )
            if not orgs:
                messages.error(request, "The audience matches no organisation.")
            elif not confirm.confirmed(request):
                return confirm.ask(
                    request,
                    title=f"Send “{form['title']}” to {len(orgs)} organisation(s)?",
                    text=f"The notice ({tlp.label}) goes to every contact of these"
                    " organisations that may receive it; sent mail cannot be called back.",
                    facts=[o.name for o in orgs[:30]]
                    + ([f"and {len(orgs) - 30} more"] if len(orgs) > 30 else []),
                    button=f"Yes, send to {len(orgs)} organisation(s)",
                    back=reverse("outreach:new_notice"),
                )
            else:
                queued = services.notify(
                    viewer,
                    audit.Actor.of(request.user),
                    kind="notice",
                    context={"title": form["title"], "text": form["text"], "tlp": tlp.label},
                    organizations=orgs,
                    tlp=tlp,
                    user=request.user,
                )
                messages.success(
                    request, f"Queued {queued.messages} message(s) to {len(orgs)} organisation(s)."
                )
                return redirect("outreach:notice", notice_id=queued.notice.pk)
        except DnsccError as exc:
            _errors(request, exc)
    return render(
        request,
        "outreach/notice_new.html",
        {
            "form": form,
            "tlps": TLP.choices(),
            "regions": list(Region),
            "kinds": Organization.KIND_CHOICES,
        },
    )


@role_required(staff=True)
def notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    found = Notice.objects.filter(pk=notice_id).exclude(tlp=TLP.RED.value).first()
    if found is None:
        raise Http404
    status = services.notice_status(found)
    audit.disclosed(audit.Actor.of(request.user), "outreach.notice", ids=[found.pk], how="view")
    return render(request, "outreach/notice.html", {"notice": found, "status": status})


@role_required()
def message(request: HttpRequest, key: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        found = services.get_message(viewer, key)
    except NotFoundError:
        raise Http404 from None
    audit.disclosed(audit.Actor.of(request.user), "outreach.message", ids=[key], how="view")
    return render(
        request,
        "outreach/message.html",
        {
            "m": found,
            "timeline": services.timeline(found),
            "may_ack": viewer.is_staff or viewer.organization_id == found.organization_id,
        },
    )


@role_required()
@require_POST
def message_action(request: HttpRequest, key: str, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = audit.Actor.of(request.user)
    try:
        if action == "ack":
            services.acknowledge_by_viewer(viewer, actor, key, via="portal")
            messages.success(request, "Acknowledged.")
        elif action == "retry":
            services.retry(viewer, actor, key)
            messages.success(request, "Queued again.")
        else:
            raise Http404
    except NotFoundError:
        raise Http404 from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    except DnsccError as exc:
        _errors(request, exc)
    return redirect("outreach:message", key=key)


@role_required()
def my_messages(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    rows = list(services.visible_messages(viewer, exercises=wants_exercises(request.GET))[:200])
    audit.disclosed(
        audit.Actor.of(request.user), "outreach.message", ids=[m.key for m in rows], how="view"
    )
    return render(request, "outreach/mine.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, key: str, signature: str) -> HttpResponse:
    """Public: the signed link in each message. GET asks, POST acknowledges (mail scanners
    that follow links must not acknowledge on the recipient's behalf)."""
    if request.method == "GET":
        if not Message.objects.filter(key=key).exists() or services.ack_signature(key) != signature:
            raise Http404
        return render(request, "outreach/ack.html", {"done": None})
    try:
        found = services.acknowledge_by_link(key, signature)
    except NotFoundError:
        raise Http404 from None
    return render(request, "outreach/ack.html", {"done": found})


@role_required(staff=True)
def templates_page(request: HttpRequest) -> HttpResponse:
    kinds = templating.available()
    kind = request.GET.get("kind") or "notice"
    language = request.GET.get("language") or "en"
    sample = {
        "organization": "Example Registry",
        "contact_name": "Security team",
        "ack_url": "https://dnscc.example/outreach/ack/…",
        "center": "dnscc",
        "title": "Example title",
        "text": "Example text.",
        "tlp": "TLP:AMBER",
        "tracking_id": "DNSCC-2026-0001",
        "summary": "Example summary.",
        "url": "https://dnscc.example/.well-known/csaf/white/2026/dnscc-2026-0001.json",
        "original_subject": "Example",
        "original_sent": "2026-01-01 00:00 UTC",
        "original_body": "…",
        "email": "security@example.org",
        "link": "https://dnscc.example/directory/verify/…",
        "hours": 72,
    }
    preview = error = None
    try:
        preview = templating.render(kind, language, sample)
    except DnsccError as exc:
        error = str(exc)
    return render(
        request,
        "outreach/templates.html",
        {"kinds": kinds, "kind": kind, "language": language, "preview": preview, "error": error},
    )


# -- advisories ---------------------------------------------------------------------


@role_required()
def advisory_list(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    rows = advisories.visible_advisories(viewer)
    return render(request, "outreach/advisories.html", {"rows": rows})


def _advisory_form(p: Any) -> dict[str, Any]:
    def lines(name: str) -> list[str]:
        return [line.strip() for line in p.get(name, "").splitlines() if line.strip()]

    products = []
    for line in lines("products"):  # vendor | product | version, version
        parts = [x.strip() for x in line.split("|")]
        products.append(
            {
                "vendor": parts[0],
                "product": parts[1] if len(parts) > 1 else parts[0],
                "versions": [
                    v.strip() for v in (parts[2] if len(parts) > 2 else "").split(",") if v.strip()
                ],
            }
        )
    vulnerabilities = []
    for line in lines("vulnerabilities"):  # CVE | title | description
        parts = [x.strip() for x in line.split("|")]
        vulnerabilities.append(
            {
                "cve": parts[0],
                "title": parts[1] if len(parts) > 1 else "",
                "description": parts[2] if len(parts) > 2 else "",
            }
        )
    references = [{"url": u, "summary": u} for u in lines("references")]
    form = {
        "title": p.get("title", ""),
        "category": p.get("category", ""),
        "tlp": p.get("tlp", "CLEAR"),
        "summary": p.get("summary", ""),
        "details": p.get("details", ""),
        "recommendation": p.get("recommendation", ""),
        "products": products,
        "vulnerabilities": vulnerabilities,
        "references": references,
        "audience": {
            **{
                k: p.get(f"audience_{k}", "")
                for k in ("regions", "kinds", "languages", "organizations")
            },
            "resource_constrained": bool(p.get("audience_resource_constrained")),
        },
    }
    if "revision_summary" in p:
        form["revision_summary"] = p.get("revision_summary", "")
    return form


def _form_of(a: Advisory) -> dict[str, str]:
    """An advisory as the edit form's fields (the inverse of _advisory_form)."""
    return {
        "title": a.title,
        "category": a.category,
        "tlp": a.tlp,
        "summary": a.summary,
        "details": a.details,
        "recommendation": a.recommendation,
        "products": "\n".join(
            f"{p.get('vendor', '')} | {p.get('product', '')} | {', '.join(p.get('versions') or [])}"
            for p in a.products
        ),
        "vulnerabilities": "\n".join(
            f"{v.get('cve', '')} | {v.get('title', '')} | {v.get('description', '')}"
            for v in a.vulnerabilities
        ),
        "references": "\n".join(r.get("url", "") for r in a.references),
        **{
            f"audience_{k}": ", ".join((a.audience or {}).get(k, []))
            for k in ("regions", "kinds", "languages", "organizations")
        },
        "audience_resource_constrained": (
            "1" if (a.audience or {}).get("resource_constrained") else ""
        ),
        "revision_summary": a.revision_summary,
    }


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def advisory_edit(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Edit a draft, or the revision of a published advisory being drafted."""
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        found = advisories.get_advisory(viewer, tracking_id)
    except NotFoundError:
        raise Http404 from None
    form: Any = _form_of(found)
    if request.method == "POST":
        form = request.POST
        try:
            data = _advisory_form(request.POST)
            # Reference summaries survive an edit that keeps the URL.
            known = {r.get("url"): r.get("summary") for r in found.references}
            for r in data["references"]:
                r["summary"] = known.get(r["url"]) or r["url"]
            advisories.update(viewer, audit.Actor.of(request.user), found, data)
            messages.success(request, f"{found.tracking_id} saved.")
            return redirect("outreach:advisory", tracking_id=found.tracking_id)
        except DnsccError as exc:
            _errors(request, exc)
    return render(
        request,
        "outreach/advisory_new.html",
        {
            "form": form,
            "tlps": TLP.choices(),
            "categories": Advisory.CATEGORY_CHOICES,
            "editing": found,
        },
    )


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def advisory_new(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            created = advisories.create(
                viewer,
                audit.Actor.of(request.user),
                _advisory_form(request.POST),
                user=request.user,
            )
            messages.success(request, f"Draft {created.tracking_id} created.")
            return redirect("outreach:advisory", tracking_id=created.tracking_id)
        except DnsccError as exc:
            _errors(request, exc)
    return render(
        request,
        "outreach/advisory_new.html",
        {"form": request.POST, "tlps": TLP.choices(), "categories": Advisory.CATEGORY_CHOICES},
    )


@role_required()
def advisory(request: HttpRequest, tracking_id: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        found = advisories.get_advisory(viewer, tracking_id)
    except NotFoundError:
        raise Http404 from None
    # Staff see the draft being prepared (a new advisory, or the next revision).
    doc = advisories.document(found, draft=viewer.is_staff)
    if TLP(found.tlp) is not TLP.CLEAR:
        audit.disclosed(
            audit.Actor.of(request.user), "outreach.advisory", ids=[tracking_id], how="view"
        )
    status = services.notice_status(found.notice) if found.notice and viewer.is_staff else None
    return render(
        request,
        "outreach/advisory.html",
        {
            "a": found,
            "doc": doc,
            "text": csaf.render_text(doc),
            "url": advisories.document_url(found),
            "status": status,
            "audience": advisories.audience_words(found.audience) if viewer.is_staff else "",
            "notes": doc["document"].get("notes", []),
            "vulns": doc.get("vulnerabilities", []),
            "may_approve": advisories.may_approve(viewer, found),
            "two_person": settings.ADVISORY_TWO_PERSON,
        },
    )


@role_required(staff=True)
@require_POST
def advisory_action(request: HttpRequest, tracking_id: str, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = audit.Actor.of(request.user)
    try:
        found = advisories.get_advisory(viewer, tracking_id)
    except NotFoundError:
        raise Http404 from None
    try:
        if action == "submit":
            advisories.submit(viewer, actor, found)
            messages.success(request, "Submitted for review.")
        elif action == "revise":
            advisories.revise(viewer, actor, found)
            messages.success(
                request,
                f"Revision {found.version + 1} started: edit it, say what it changes, then "
                "submit it for review. Version "
                f"{found.version} stays published until then.",
            )
            return redirect("outreach:advisory_edit", tracking_id=tracking_id)
        elif action == "validate":
            problems = advisories.validate(advisories.document(found, draft=True))
            if problems:
                for p in problems[:20]:
                    messages.error(request, csaf_words.explain(p))
            else:
                messages.success(
                    request, "Valid: the CSAF 2.0 schema and every mandatory test pass."
                )
        elif action == "publish":
            advisories.check_approver(viewer, found)  # before asking: the rule says no
            if not confirm.confirmed(request):
                orgs = advisories.audience_organizations(found.audience)
                return confirm.ask(
                    request,
                    title=f"Publish {found.tracking_id} version {found.version + 1}"
                    " and distribute it?",
                    text=f"It is signed and served as CSAF at {advisories.document_url(found)}"
                    f" ({TLP(found.tlp).label}), and mailed to {len(orgs)} organisation(s) of"
                    " its audience. A published version cannot be withdrawn; a later one can"
                    " only revise it.",
                    facts=[o.name for o in orgs[:20]]
                    + ([f"and {len(orgs) - 20} more"] if len(orgs) > 20 else []),
                    button="Yes, publish and distribute",
                    back=reverse("outreach:advisory", args=[found.tracking_id]),
                )
            queued = advisories.publish(viewer, actor, found, user=request.user)
            sent = f"; {queued.messages} message(s) queued" if queued else ""
            messages.success(request, f"Published{sent}.")
        else:
            raise Http404
    except DnsccError as exc:
        _errors(request, exc)
    return redirect("outreach:advisory", tracking_id=tracking_id)


# -- the CSAF provider (CSAF 2.0 §7.1) --------------------------------------------------


def provider_metadata(request: HttpRequest) -> HttpResponse:
    return JsonResponse(advisories.provider_metadata(), json_dumps_params={"indent": 2})


def provider_key(request: HttpRequest, fingerprint: str) -> HttpResponse:
    if fingerprint.upper() != pgp.center_fingerprint():
        raise Http404
    return HttpResponse(pgp.center_public_key(), content_type="application/pgp-keys")


def _folder_viewer(request: HttpRequest, folder: str) -> Any:
    if folder not in csaf.TLP_FOLDER.values():
        raise Http404
    return viewer_for(request.user)


def provider_index(request: HttpRequest, folder: str, listing: str) -> HttpResponse:
    if listing not in ("index.txt", "changes.csv"):
        raise Http404
    viewer = _folder_viewer(request, folder)
    rows = advisories.published_in(viewer, folder)
    body = advisories.index_txt(rows) if listing == "index.txt" else advisories.changes_csv(rows)
    ctype = "text/plain" if listing == "index.txt" else "text/csv"
    return HttpResponse(body, content_type=f"{ctype}; charset=utf-8")


def provider_file(request: HttpRequest, folder: str, year: int, name: str) -> HttpResponse:
    viewer = _folder_viewer(request, folder)
    base, suffix = name, ""
    for ext in (".sha256", ".sha512", ".asc"):
        if name.endswith(ext):
            base, suffix = name[: -len(ext)], ext
    found = advisories.find_published(year, base, folder)
    if found is None or not can_see(viewer, found.labelled()):
        raise Http404
    if TLP(found.tlp) is not TLP.CLEAR:
        audit.disclosed(
            audit.Actor.of(request.user), "outreach.advisory", ids=[found.tracking_id], how="csaf"
        )
    if suffix == ".sha256":
        return HttpResponse(f"{found.sha256}  {base}\n", content_type="text/plain")
    if suffix == ".sha512":
        return HttpResponse(f"{found.sha512}  {base}\n", content_type="text/plain")
    if suffix == ".asc":
        return HttpResponse(found.signature, content_type="application/pgp-signature")
    return HttpResponse(found.document.encode("utf-8"), content_type="application/json")
