"""Public views of gated forms: a form page, the gate on a whitepaper, the signed download.

Thin: they read the request (cookie, country header, attribution), call the services and render.
With htmx only the form panel is sent back; without JavaScript the whole page is.
"""

import mimetypes
import secrets

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET
from wagtail.documents import get_document_model
from wagtail.models import Page

from leads.cleaning import clean_text
from leads.selectors import lead_owner, person_by_id, person_for_visitor
from leads.services import interaction_record
from leads.services.identity import valid_visitor_id

from .services import spam
from .services.downloads import LinkExpired, LinkInvalid, grant_from_token
from .services.submission import (
    ATTRIBUTION_FIELDS,
    GatedAsset,
    Visitor,
    form_plan,
    form_submit,
    gate_is_open,
    returning_download_path,
    unbound_form,
)

PANEL_TEMPLATE = "leadforms/form_panel.html"
ATTRIBUTION_COOKIE = "sp_attribution"
ATTRIBUTION_SALT = "signalpage.forms.attribution"


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the proxy's address behind a load balancer; the platform's proxy settings
    # (e.g. a trusted X-Forwarded-For rewrite) are expected to put the client address there.
    return request.META.get("REMOTE_ADDR") or None


def header_country(request) -> str:
    header = "HTTP_" + settings.VISITOR_COUNTRY_HEADER.upper().replace("-", "_")
    value = (request.META.get(header) or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() and value not in ("XX", "T1") else ""


def request_attribution(request) -> dict:
    """UTM parameters, referrer and landing page: this request's own, else the first touch we remembered."""
    current = {name: clean_text(request.GET.get(name), 255)[0] for name in ATTRIBUTION_FIELDS[:5]}
    if any(current.values()):
        current["referrer"] = clean_text(request.META.get("HTTP_REFERER"), 2000)[0]
        current["landing_page"] = clean_text(request.build_absolute_uri(), 2000)[0]
        return {name: value for name, value in current.items() if value}
    try:
        remembered = signing.loads(request.COOKIES.get(ATTRIBUTION_COOKIE, ""), salt=ATTRIBUTION_SALT)
    except signing.BadSignature:
        remembered = None
    if isinstance(remembered, dict):
        return {name: clean_text(remembered.get(name), 2000)[0] for name in ATTRIBUTION_FIELDS if remembered.get(name)}
    referrer = clean_text(request.META.get("HTTP_REFERER"), 2000)[0]
    own_host = request.get_host()
    external = referrer and f"//{own_host}/" not in referrer and not referrer.endswith(f"//{own_host}")
    return {"referrer": referrer, "landing_page": request.build_absolute_uri()} if external else {}


def request_visitor(request, *, channel="web") -> tuple[Visitor, bool]:
    """The visitor behind this request and whether a new visitor cookie has to be set."""
    visitor_id = valid_visitor_id(request.COOKIES.get(settings.VISITOR_COOKIE_NAME, ""))
    is_new = not visitor_id or request.GET.get("forget") == "1"
    if is_new:
        visitor_id = new_visitor_id()
    return Visitor(
        visitor_id=visitor_id,
        person=None if is_new else person_for_visitor(visitor_id),
        country=header_country(request),
        ip_address=client_ip(request),
        attribution=request_attribution(request),
        channel=channel,
    ), is_new


def new_visitor_id() -> str:
    return "v_" + secrets.token_urlsafe(18)


def form_page_serve(request, form_page):
    """A stand-alone form page (contact sales, newsletter, ...)."""
    return form_serve(request, host_page=form_page, form_page=form_page, template=form_page.template)


def form_serve(request, *, host_page, form_page, template, asset: GatedAsset | None = None, host=None):
    """Show or take a form on any page that hosts one: the form page itself, a gated whitepaper, an event.

    `host` (optional) lets the hosting app take part without forms knowing it (events register
    people this way): on GET `host.before_form(visitor)` may return panel values that replace the
    form (e.g. "you're already registered"), and `host.accepted(result, visitor)` turns an accepted
    submission into the hosting app's record and returns panel values to show.
    """
    visitor, new_cookie = request_visitor(request)
    status = 200
    panel = {"page": form_page, "action": host_page.url or request.path, "asset": asset, "state": "form",
             "greeting": "", "message": "", "download_url": ""}
    # Only instead of showing the form: a posted answer is always taken (and stored) first, and the
    # host judges it afterwards, so a late or second answer is never dropped unseen.
    instead = host.before_form(visitor) if host is not None and request.method != "POST" else None

    if instead:
        panel.update(instead)
    elif request.method == "POST":
        too_large = spam.body_too_large(request)
        if too_large is not None:
            spam.rejection_log(too_large, form_page=form_page, ip_address=visitor.ip_address,
                               detail=f"{request.META.get('CONTENT_LENGTH')} bytes")
            panel["message"] = too_large.message
            panel["form"] = unbound_form(form_page, form_plan(form_page, visitor), visitor)
            status = too_large.status
        else:
            result = form_submit(form_page, request.POST, visitor=visitor, asset=asset,
                                 absolute_url=request.build_absolute_uri,
                                 confirm=not getattr(host, "sends_confirmation", False))
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
                status = result.rejection.status
            else:
                panel["form"] = result.form
                panel["plan"] = form_plan(form_page, visitor)
    elif host is None and gate_is_open(form_page, asset, visitor):  # a host decides in before_form
        panel.update(state="open", download_url=returning_download_path(asset, visitor),
                     greeting=visitor.person.first_name)
    else:
        plan = form_plan(form_page, visitor)
        panel.update(form=unbound_form(form_page, plan, visitor), plan=plan, greeting=plan.greeting_name)

    if panel.get("form") is not None:
        describe_errors(panel["form"])
    if request.headers.get("HX-Request"):
        response = TemplateResponse(request, PANEL_TEMPLATE, {"lead_form": panel, "request": request})
        status = 200 if status < 500 else status  # htmx swaps only 2xx by default; errors are in the panel
    else:
        context = host_page.get_context(request)
        context["lead_form"] = panel
        response = TemplateResponse(request, template, context)
    response.status_code = status
    _remember(response, request, visitor, new_cookie)
    return response


def _refilled_form(form_page, plan, visitor, data):
    """The form again with what the visitor typed and a fresh token (their answers are not lost)."""
    form = unbound_form(form_page, plan, visitor)
    values = {key: (items if len(items) > 1 else items[0]) for key, items in data.lists()
              if key not in (spam.STARTED_FIELD, spam.HONEYPOT_FIELD, "csrfmiddlewaretoken")}
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


def _remember(response, request, visitor, new_cookie):
    secure = request.is_secure()
    if new_cookie:
        response.set_cookie(settings.VISITOR_COOKIE_NAME, visitor.visitor_id, max_age=settings.VISITOR_COOKIE_MAX_AGE,
                            httponly=True, samesite="Lax", secure=secure)
    if request.method == "GET" and visitor.attribution and any(request.GET.get(n) for n in ATTRIBUTION_FIELDS[:5]):
        response.set_cookie(ATTRIBUTION_COOKIE, signing.dumps(visitor.attribution, salt=ATTRIBUTION_SALT,
                                                              compress=True),
                            max_age=30 * 24 * 3600, httponly=True, samesite="Lax", secure=secure)
    # A form carries a CSRF token and a timestamped token, and may greet a known visitor: never cache it publicly.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Cookie", "HX-Request"))


@require_GET
def gated_download(request, token):
    """The PDF behind a signed link: checked, then streamed; re-downloads by known people are recorded."""
    try:
        grant = grant_from_token(token)
    except LinkExpired:
        return _link_problem(request, 410, "This download link has expired",
                             "Links work for a limited time. Fill in the form again and you'll get a new one.")
    except LinkInvalid:
        return _link_problem(request, 403, "This download link is not valid",
                             "It may have been cut short when it was copied. Please use the link exactly as we "
                             "sent it, or fill in the form again.")
    document = get_document_model().objects.filter(pk=grant.document_id).first()
    if document is None:
        raise Http404("This document no longer exists.")

    if grant.lead_id:
        exists, owner_id = lead_owner(grant.lead_id)
        if not exists:
            return _link_problem(request, 403, "This download link is not valid", "It no longer belongs to anyone.")
    else:
        owner_id = grant.person_id
    visitor_id = valid_visitor_id(request.COOKIES.get(settings.VISITOR_COOKIE_NAME, ""))
    visitor_person = person_for_visitor(visitor_id) if visitor_id else None
    if visitor_person is not None and owner_id is not None and visitor_person.pk != owner_id:
        return _link_problem(request, 403, "This download link was sent to someone else",
                             "Each link is personal. Fill in the form and we'll send you your own copy.")

    if grant.person_id:
        # A returning visitor skipped the form: the download itself is the interaction.
        owner = visitor_person if visitor_person is not None and visitor_person.pk == owner_id else None
        interaction_record(
            type="content_download", person=owner or person_by_id(owner_id), visitor_id=visitor_id,
            object_type="content", object_id=grant.object_id, object_label=_title(grant.object_id),
            object_topics=grant.topics, properties={"via": "returning visitor link"},
        )
    handle = document.file.open("rb")
    content_type = mimetypes.guess_type(document.filename)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=document.filename, content_type=content_type)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _title(object_id) -> str:
    try:
        return Page.objects.filter(pk=int(object_id)).values_list("title", flat=True).first() or ""
    except (TypeError, ValueError):
        return ""


def _link_problem(request, status, title, message):
    response = TemplateResponse(request, "leadforms/link_problem.html", {"title": title, "message": message},
                                status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
