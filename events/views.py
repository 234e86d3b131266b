"""Public views of events: registration on the landing page, the ticket, cancellation, the calendar
file and the webinar stream. Thin: they read the request, call the services and render.
"""

import re
from datetime import timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods

from . import links
from .calendar import event_ics, google_calendar_link, outlook_calendar_link
from .models import Event, Registration
from .selectors import registration_for_person
from .services import RegistrationClosed, registration_cancel, registration_check_in, registration_from_lead
from .tickets import ticket_svg

PANEL_TEMPLATE = "events/registration_panel.html"
INVITE_COOKIE = "sp_invite"
# Webinar attendance: opening the stream this long before the start counts as attending.
EARLY_JOIN = timedelta(minutes=15)


class RegistrationHost:
    """What an event adds to the form journey of forms.services.journey.form_serve (see its `host`)."""

    sends_confirmation = True  # the event's own emails (with the ticket) replace the form's

    def __init__(self, request, event: Event):
        self.request = request
        self.event = event

    def before_form(self, visitor) -> dict | None:
        reason = self.event.registration_closed_reason()
        if reason:
            return {"host_template": PANEL_TEMPLATE, "state": "closed", "message": reason, "event": self.event}
        registration = registration_for_person(self.event, visitor.person)
        if registration is not None:
            return self._panel(registration, created=False)
        return None

    def accepted(self, result, visitor) -> dict:
        inviter = links.inviter_from_token(
            self.request.POST.get("invite") or self.request.COOKIES.get(INVITE_COOKIE, "")
        )
        try:
            outcome = registration_from_lead(self.event, result.lead, visitor_id=visitor.visitor_id, invited_by=inviter)
        except (RegistrationClosed, ValueError) as error:
            return {
                "host_template": PANEL_TEMPLATE,
                "state": "closed",
                "event": self.event,
                "message": getattr(error, "message", str(error)),
            }
        return self._panel(outcome.registration, created=outcome.created)

    def _panel(self, registration: Registration, *, created: bool) -> dict:
        return registration_panel(registration, created=created)


def registration_panel(registration: Registration, *, created: bool) -> dict:
    event = registration.event
    return {
        "host_template": PANEL_TEMPLATE,
        "state": "registered",
        "event": event,
        "registration": registration,
        "created": created,
        "ticket_url": links.ticket_url(registration),
        "cancel_url": links.cancel_url(registration),
        "calendar_url": links.calendar_url(event),
    }


def remember_invite(request, response) -> None:
    """A salesperson's personal invite link (?invite=...): remembered for the registration."""
    token = request.GET.get("invite", "")
    if token and links.inviter_from_token(token) is not None:
        response.set_cookie(
            INVITE_COOKIE, token, max_age=30 * 86400, httponly=True, samesite="Lax", secure=request.is_secure()
        )


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to the stream host or a map
    patch_cache_control(response, private=True, no_store=True)
    return response


def _bad_link(request, title, message, status=403):
    return _private(
        TemplateResponse(request, "events/link_problem.html", {"title": title, "message": message}, status=status)
    )


def ticket(request, token):
    try:
        registration = links.registration_from_token(token, links.TICKET_SALT)
    except links.BadLink:
        return _bad_link(
            request,
            "This ticket is not valid",
            "It may have been cut short when it was copied, or replaced by a newer one. Use the link "
            "in your latest email.",
        )
    event = registration.event
    url = links.ticket_url(registration)
    return _private(
        TemplateResponse(
            request,
            "events/ticket.html",
            {
                "registration": registration,
                "event": event,
                "qr_svg": ticket_svg(url) if registration.holds_seat else "",
                "cancel_url": links.cancel_url(registration),
                "calendar_url": links.calendar_url(event),
                "google_url": google_calendar_link(event, url=links.event_page_url(event)),
                "outlook_url": outlook_calendar_link(event, url=links.event_page_url(event)),
                "watch_url": links.watch_url(registration) if event.online_url and registration.holds_seat else "",
            },
        )
    )


@require_http_methods(["GET", "POST"])
def cancel(request, token):
    """GET asks (mail scanners follow links), POST cancels."""
    try:
        registration = links.registration_from_token(token, links.CANCEL_SALT)
    except links.BadLink:
        return _bad_link(
            request,
            "This cancellation link is not valid",
            "It may have been cut short when it was copied. Use the link exactly as we sent it.",
        )
    changed = False
    # Once the event is over there is nothing to cancel (and no freed seat to give the waitlist).
    if request.method == "POST" and not registration.event.is_past:
        registration, changed = registration_cancel(registration)
    return _private(
        TemplateResponse(
            request,
            "events/cancel.html",
            {
                "registration": registration,
                "event": registration.event,
                "changed": changed,
                "can_cancel": registration.status in Registration.ACTIVE and not registration.event.is_past,
                "event_url": links.event_page_url(registration.event),
            },
        )
    )


def calendar_file(request, event_id):
    event = get_object_or_404(Event.objects.exclude(status=Event.Status.DRAFT), pk=event_id)
    response = HttpResponse(event_ics(event, url=links.event_page_url(event)), content_type="text/calendar")
    slug = re.sub(r"[^a-z0-9]+", "-", event.title.lower()).strip("-")[:60] or "event"
    response["Content-Disposition"] = f'attachment; filename="{slug}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def watch(request, event_id):
    """The webinar's stream: for approved registrants (ticket link or a known browser), else the gate.

    Attending is recorded by the page itself (a POST it sends once it is open in a browser during the
    event), never by the GET: mail scanners and link previews open links too, and they don't attend."""
    from forms.services.journey import request_visitor

    event = get_object_or_404(Event.objects.exclude(status=Event.Status.DRAFT), pk=event_id)
    if not event.online_url:
        raise Http404("This event has no stream.")
    registration = None
    token = request.GET.get("t", "")
    if token:
        try:
            registration = links.registration_from_token(token, links.TICKET_SALT)
        except links.BadLink:
            registration = None
        if registration is not None and registration.event_id != event.pk:
            registration = None
    if registration is None:
        visitor, _ = request_visitor(request)
        registration = registration_for_person(event, visitor.person)
    allowed = registration is not None and registration.holds_seat
    now = timezone.now()
    live = event.starts_at - EARLY_JOIN <= now <= event.ends_at
    if request.method == "POST":
        if allowed and live and registration.checked_in_at is None:
            registration_check_in(registration)  # watching the live stream is attending
        return HttpResponse(status=204 if allowed else 403)
    page = getattr(event, "landing_page", None)
    context = {
        "event": event,
        "registration": registration if allowed else None,
        "allowed": allowed,
        "stream_url": event.online_url if allowed or event.stream_preview_seconds else "",
        "embed_url": embed_url(event.online_url) if allowed or event.stream_preview_seconds else "",
        "preview_seconds": 0 if allowed else event.stream_preview_seconds,
        "register_url": (page.url + "#register") if page is not None and page.live else "",
        "not_started": now < event.starts_at - EARLY_JOIN,
        "recording_url": event.recording_url,
        "record_attendance": allowed and live and registration.checked_in_at is None,
    }
    return _private(TemplateResponse(request, "events/watch.html", context))


EMBEDS = [
    (
        re.compile(r"^https://(?:www\.)?youtube\.com/watch\?v=([\w-]{6,20})"),
        "https://www.youtube-nocookie.com/embed/{}",
    ),
    (re.compile(r"^https://youtu\.be/([\w-]{6,20})"), "https://www.youtube-nocookie.com/embed/{}"),
    (re.compile(r"^https://(?:www\.)?vimeo\.com/(\d{4,12})"), "https://player.vimeo.com/video/{}"),
]


def embed_url(url: str) -> str:
    """A player address for the streams we can embed; other links (Zoom, Teams) get a Join button."""
    for pattern, template in EMBEDS:
        match = pattern.match(url or "")
        if match:
            return template.format(match.group(1))
    return ""
