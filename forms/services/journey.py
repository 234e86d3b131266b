"""The form journey on a page: who is asking, what the form panel shows, and the response that carries it.

Any page that hosts a form serves it through `form_serve`: the form page itself, a gated whitepaper,
an event's landing page (cms and forms call this module, never forms.views). With htmx only the form
panel is sent back; without JavaScript the whole page is.
"""

import dataclasses
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape
from django.utils.translation import get_language

from leads.request_facts import (
    ATTRIBUTION_FIELDS,
    attribution_remember,
    client_ip,
    request_attribution,
    request_country,
)
from leads.selectors import person_for_visitor
from leads.services.identity import new_visitor_id, valid_visitor_id

from . import spam
from .submission import form_submit
from .visitor_form import (
    GatedAsset,
    Visitor,
    form_plan,
    gate_is_open,
    returning_download_path,
    unbound_form,
)

PANEL_TEMPLATE = "leadforms/form_panel.html"


def request_visitor(request, *, channel="web") -> tuple[Visitor, bool]:
    """The visitor behind this request and whether a new visitor cookie has to be set."""
    visitor_id = valid_visitor_id(request.COOKIES.get(settings.VISITOR_COOKIE_NAME, ""))
    is_new = not visitor_id or request.GET.get("forget") == "1"
    if is_new:
        visitor_id = new_visitor_id()
    return Visitor(
        visitor_id=visitor_id,
        person=None if is_new else person_for_visitor(visitor_id),
        country=request_country(request),
        ip_address=client_ip(request),
        attribution=request_attribution(request),
        channel=channel,
    ), is_new


def form_serve(request, *, host_page, form_page, template, asset: GatedAsset | None = None, host=None):
    """Show or take a form on any page that hosts one: the form page itself, a gated whitepaper, an event.

    `host` (optional) lets the hosting app take part without forms knowing it (events register
    people this way): on GET `host.before_form(visitor)` may return panel values that replace the
    form (e.g. "you're already registered"), and `host.accepted(result, visitor)` turns an accepted
    submission into the hosting app's record and returns panel values to show.
    """
    visitor, new_cookie = request_visitor(request)
    panel, status = form_panel(
        request, host_page=host_page, form_page=form_page, visitor=visitor, asset=asset, host=host
    )
    response = _render(request, host_page, template, panel, status)
    visitor_remember(response, request, visitor, new_cookie)
    return response


def form_panel(
    request, *, host_page, form_page, visitor: Visitor, asset=None, host=None, action=""
) -> tuple[dict, int]:
    """What the form panel shows for this request (the template's `lead_form`), and the status to answer with.

    `action` (where the form posts) defaults to the host page's URL."""
    panel = {
        "page": form_page,
        "action": action or (host_page.url if host_page is not None else "") or request.path,
        "asset": asset,
        "state": "form",
        "greeting": "",
        "message": "",
        "download_url": "",
    }
    status = 200
    # Only instead of showing the form: a posted answer is always taken (and stored) first, and the
    # host judges it afterwards, so a late or second answer is never dropped unseen.
    instead = host.before_form(visitor) if host is not None and request.method != "POST" else None

    if instead:
        panel.update(instead)
    elif request.method == "POST":
        status = _take_answer(request, panel, form_page=form_page, visitor=visitor, asset=asset, host=host)
    elif host is None and gate_is_open(form_page, asset, visitor):  # a host decides in before_form
        panel.update(
            state="open", download_url=returning_download_path(asset, visitor), greeting=visitor.person.first_name
        )
    else:
        plan = form_plan(form_page, visitor)
        panel.update(form=unbound_form(form_page, plan, visitor), plan=plan, greeting=plan.greeting_name)

    if panel.get("form") is not None:
        describe_errors(panel["form"])
    return panel, status


def _take_answer(request, panel, *, form_page, visitor, asset, host) -> int:
    """A posted answer: refused when too large, else submitted; the panel shows the outcome. Returns the status."""
    too_large = spam.body_too_large(request)
    if too_large is not None:
        spam.rejection_log(
            too_large,
            form_page=form_page,
            ip_address=visitor.ip_address,
            detail=f"{request.META.get('CONTENT_LENGTH')} bytes",
        )
        panel["message"] = too_large.message
        panel["form"] = unbound_form(form_page, form_plan(form_page, visitor), visitor)
        return too_large.status
    result = form_submit(
        form_page,
        request.POST,
        visitor=visitor,
        asset=asset,
        absolute_url=request.build_absolute_uri,
        confirm=not getattr(host, "sends_confirmation", False),
    )
    if result.status == "accepted":
        panel.update(state="done", download_url=result.download_path, lead=result.lead)
        if host is not None:
            panel.update(host.accepted(result, visitor))
    elif result.rejection is not None and result.rejection.reason == "honeypot":
        panel.update(state="done")  # tell a bot nothing
    elif result.rejection is not None:
        plan = form_plan(form_page, visitor)
        panel["form"] = _refilled_form(form_page, plan, visitor, request.POST)
        panel["message"] = result.rejection.message
        return result.rejection.status
    else:
        panel["form"] = result.form
        panel["plan"] = form_plan(form_page, visitor)
    return 200


def _refilled_form(form_page, plan, visitor, data):
    """The form again with what the visitor typed and a fresh token (their answers are not lost)."""
    form = unbound_form(form_page, plan, visitor)
    values = {
        key: (items if len(items) > 1 else items[0])
        for key, items in data.lists()
        if key not in (spam.STARTED_FIELD, spam.HONEYPOT_FIELD, "csrfmiddlewaretoken")
    }
    form.initial.update(values)
    return form


def describe_errors(form):
    """aria-invalid and aria-describedby on every field, so screen readers hear the error and the help."""
    for name, field in form.fields.items():
        described = []
        if field.help_text:
            described.append(f"id_{name}-help")
        if form.is_bound and name in form.errors:
            field.widget.attrs["aria-invalid"] = "true"
            described.append(f"id_{name}-error")
        if described:
            field.widget.attrs["aria-describedby"] = " ".join(described)


def _render(request, host_page, template, panel, status):
    if request.headers.get("HX-Request"):
        response = TemplateResponse(request, PANEL_TEMPLATE, {"lead_form": panel, "request": request})
        status = 200 if status < 500 else status  # htmx swaps only 2xx by default; errors are in the panel
    else:
        context = host_page.get_context(request)
        context["lead_form"] = panel
        response = TemplateResponse(request, template, context)
    response.status_code = status
    return response


def visitor_remember(response, request, visitor, new_cookie):
    """The visitor cookie and attribution on a response carrying a form panel, kept out of shared caches."""
    if new_cookie:
        response.set_cookie(
            settings.VISITOR_COOKIE_NAME,
            visitor.visitor_id,
            max_age=settings.VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    attribution_remember(response, request, visitor.attribution)
    # A form carries a CSRF token and a timestamped token, and may greet a known visitor: never cache it publicly.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Cookie", "HX-Request"))


# --- A page with a form, kept in the output cache (the hole is cms.page_holes') ----------------------------
# The page around the form is everyone's; only the panel is the visitor's. For an anonymous visitor even
# the panel is everyone's (per form revision, action and country: the consent wording) but for three
# things filled in per request: the CSRF token, the signed "shown at" token and the attribution the
# visitor brought. So the anonymous panel is kept too, with its own marks; a known visitor's panel
# (their next progressive questions, "Not you?", an open gate) is rendered for them.
PANEL_MARK = re.compile(r"sphole-([a-z_]+)-5c2e")
PANEL_CACHE_SECONDS = 24 * 3600
PANELS_KEPT = 500
_panels: dict = {}  # panel key -> the anonymous panel with its marks, per process
STARTED_HOLE = "started_token"


def _panel_mark(name: str) -> str:
    return f"sphole-{name}-5c2e"


def form_page_with_hole(request, *, host_page, form_page, template, asset=None, mark: str, version: str = ""):
    """The page around the form, with `mark` where the panel goes, and the hole's description (the spec
    `form_hole_fill` is given back). `version` names what else the panel shows (consent wording)."""
    context = host_page.get_context(request)
    context["lead_form"] = {"hole": mark, "page": form_page, "state": "form", "asset": asset}
    spec = {
        "form_page_id": form_page.pk,
        "revision_id": form_page.live_revision_id,
        # Guards the per-process panels against ids reused after a restored database (as page_profile's).
        "published": form_page.last_published_at.isoformat() if form_page.last_published_at else "",
        "action": host_page.url or request.path,
        "asset": asset,
        "version": version,
    }
    return TemplateResponse(request, template, context), spec


def form_hole_fill(request, spec: dict):
    """The form panel for this request, and what the response needs for it (cookies, no shared caching)."""
    visitor, new_cookie = request_visitor(request)
    html = (
        _anonymous_panel(request, spec, visitor) if visitor.person is None else _visitor_panel(request, spec, visitor)
    )

    def finish(response):
        visitor_remember(response, request, visitor, new_cookie)

    return html, finish


def _live_form_page(spec):
    from forms.models import LeadFormPage

    return LeadFormPage.objects.live().filter(pk=spec["form_page_id"]).first()


def _visitor_panel(request, spec, visitor) -> str:
    form_page = _live_form_page(spec)
    if form_page is None:  # unpublished since the page was kept; the next render leaves it out
        return ""
    panel, _ = form_panel(
        request, host_page=None, form_page=form_page, visitor=visitor, asset=spec["asset"], action=spec["action"]
    )
    return render_to_string(PANEL_TEMPLATE, {"lead_form": panel}, request=request)


def _anonymous_panel(request, spec, visitor) -> str:
    parts = (spec["form_page_id"], spec["revision_id"], spec.get("published", ""), spec["version"], spec["action"])

    def render(marked: Visitor) -> str:
        form_page = _live_form_page(spec)
        if form_page is None:
            return ""
        panel, _ = form_panel(
            request, host_page=None, form_page=form_page, visitor=marked, asset=spec["asset"], action=spec["action"]
        )
        return render_to_string(PANEL_TEMPLATE, marked_context(panel))

    return anonymous_panel(request, visitor, form_page_id=spec["form_page_id"], parts=parts, render=render)


def anonymous_panel(request, visitor, *, form_page_id: int, parts: tuple, render) -> str:
    """An anonymous visitor's form panel: everyone's panel for `parts` (what it shows: the form page and its
    revision, the host's state...), kept with marks where the per-request values go, which are then filled
    for this request (the CSRF token, the form's signed "shown at" token, the attribution the visitor
    brought). `render(marked_visitor)` renders the panel when it is not kept yet: give `form_panel` the
    marked visitor and the template `marked_context(panel)`; it renders without the request (no token)."""
    # the country (consent wording) and the language (country names and messages are translated) too
    key_parts = "|".join(str(part) for part in (*parts, visitor.country, get_language()))
    key = "leadforms:panel:" + hashlib.blake2s(key_parts.encode(), digest_size=16).hexdigest()
    # What a key names never changes (a new revision or epoch is a new key): kept in the process too,
    # which saves the shared cache's round trip on every view.
    html = _panels.get(key)
    if html is None:
        html = cache.get(key)
        if html is None:
            marked = dataclasses.replace(
                visitor, attribution={name: _panel_mark(f"attr_{name}") for name in ATTRIBUTION_FIELDS}
            )
            html = render(marked)
            if html:
                cache.set(key, html, PANEL_CACHE_SECONDS)
        if html:
            if len(_panels) >= PANELS_KEPT:
                _panels.clear()
            _panels[key] = html
    values = {"csrf": get_token(request), STARTED_HOLE: spam.started_token(form_page_id)}
    values.update((f"attr_{name}", visitor.attribution.get(name, "")) for name in ATTRIBUTION_FIELDS)
    return PANEL_MARK.sub(lambda m: escape(values.get(m.group(1), "")), html)


def marked_context(panel: dict, **context) -> dict:
    """The template context of `anonymous_panel`'s render: the panel with a mark for its signed token,
    and a mark for the CSRF token (`{% csrf_token %}` reads `csrf_token`)."""
    if panel.get("form") is not None:
        panel["form"].initial[spam.STARTED_FIELD] = _panel_mark(STARTED_HOLE)
    return {"lead_form": panel, "csrf_token": _panel_mark("csrf"), **context}
