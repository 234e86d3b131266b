"""The door: check-in by search (as you type, one tap), the ticket scanner, walk-ins. Made for a phone.

The screen opens for any event the user may see; the listing offers it only where people are expected
(check_in_offered), and the screen says so when the event is weeks away, over or cancelled: it warns,
it never blocks (staff testing the scanner a week before, a late correction after the event)."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.admin import messages

from leads.privacy import can_view_personal_data

from .. import links, services
from ..forms import ScanForm, WalkInForm
from ..models import Event, Registration
from ..permissions import CHECK_IN_PERMISSION
from ..selectors import CHECK_IN_RESULTS, registrations_search, status_counts
from .common import (
    MAX_QUERY_LENGTH,
    EventAdminView,
    checked_in_text,
    event_admin_url,
    event_when,
    shown_email,
    shown_name,
)

# More days than this before the start and the door screen says you are checking in early.
EARLY_CHECK_IN_DAYS = 3


def check_in_offered(event: Event) -> bool:
    """Whether the listing offers the door: while the event is live or still to come (not a draft, not
    cancelled, not over)."""
    return event.current_status in (Event.Status.SCHEDULED, Event.Status.LIVE)


def day_month(when, today) -> str:
    """'12 March', with the year when it is not this year's."""
    return f"{when.day} {when:%B}" + (f" {when.year}" if when.year != today.year else "")


def how_far(days: int) -> str:
    if days < 14:
        return f"{days} days"
    if days < 56:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30.4)} months"


def door_notice(event: Event, now=None) -> str:
    """What door staff should know before letting anyone in; empty on the day (or a few days before)."""
    now = now or timezone.now()
    today = timezone.localtime(now, event.zone).date()
    start = event.local_start
    status = event.current_status
    if status == Event.Status.CANCELLED:
        return "This event is cancelled: nobody is expected at the door."
    if status == Event.Status.FINISHED:
        return f"This event ended on {day_month(event.local_end, today)}: you are checking in after the event."
    if status == Event.Status.DRAFT:
        return "This event is a draft: it has not been announced yet."
    days = (start.date() - today).days
    if days > EARLY_CHECK_IN_DAYS:
        return f"This event is on {day_month(start, today)}, {how_far(days)} away: you are checking in early."
    return ""


def counters(event: Event) -> dict:
    counts = status_counts(event)
    attended = counts[Registration.Status.ATTENDED]
    return {
        "checked_in": attended,
        "expected": counts[Registration.Status.APPROVED] + attended,
        "pending": counts[Registration.Status.PENDING],
        "waitlisted": counts[Registration.Status.WAITLISTED],
    }


def door_row(registration: Registration, event: Event, user, outcome: str = "") -> dict:
    """What a result line at the door shows. outcome: "", checked_in, already or not_admitted."""
    return {
        "registration": registration,
        "name": shown_name(registration, user),
        "email": shown_email(registration.email, user),
        "outcome": outcome,
        "checked_in": checked_in_text(registration, event),
        "action_url": event_admin_url("check_in_registration", event.pk, registration.pk),
    }


def door_fragment(request, template: str, context: dict) -> HttpResponse:
    """The changed part of the door screen for htmx, with the counters swapped in out of band."""
    html = render_to_string(template, context, request=request)
    html += render_to_string("events/admin/_counters.html", {**context, "oob_counters": True}, request=request)
    return HttpResponse(html)


class CheckInView(EventAdminView):
    """The door: search as you type, one tap to check in, the scanner, walk-ins."""

    permission = CHECK_IN_PERMISSION
    page_title = "Check-in"
    template_name = "events/admin/check_in.html"
    results_template_name = "events/admin/_check_in_results.html"

    def get(self, request, *args, **kwargs):
        # NUL characters are refused by PostgreSQL: a pasted one would otherwise be a server error.
        query = request.GET.get("q", "").replace("\x00", "")[:MAX_QUERY_LENGTH]
        found = registrations_search(self.event, query, full_emails=can_view_personal_data(self.request.user))
        rows = [door_row(registration, self.event, request.user) for registration in found]
        if request.htmx and request.htmx.target == "check-in-results":
            # Counters too: other doors may have checked people in since the page opened.
            return door_fragment(request, self.results_template_name, self.door_context(query=query, rows=rows))
        return self.render_to_response(self.get_context_data(query=query, rows=rows))

    def door_context(self, **kwargs) -> dict:
        pk = self.event.pk
        return {
            "event": self.event,
            "event_when": event_when(self.event),
            "counters": counters(self.event),
            "check_in_url": event_admin_url("check_in", pk),
            "scan_url": event_admin_url("check_in_scan", pk),
            "walk_in_url": event_admin_url("walk_in", pk),
            "result_limit": CHECK_IN_RESULTS,
            **kwargs,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**self.door_context(**kwargs))
        context.setdefault("walk_in_form", WalkInForm())
        context["decision"] = self.decision_row()
        context["notice"] = door_notice(self.event)
        return context

    def decision_row(self):
        """After a refused check-in without JavaScript: the registration to let in anyway (or not)."""
        value = self.request.GET.get("confirm", "")
        if not (value.isascii() and value.isdigit() and len(value) < 19):
            return None
        registration = (
            Registration.objects.select_related("event", "checked_in_by")
            .filter(event=self.event, pk=int(value))
            .first()
        )
        if registration is None or registration.checked_in_at is not None:
            return None
        return door_row(registration, self.event, self.request.user, "not_admitted")


class DoorActionView(CheckInView):
    """A POST at the door. htmx gets the changed part of the screen back; without JavaScript a message
    and a redirect to the door screen (with ?confirm= when staff must decide on letting someone in)."""

    http_method_names = ["post"]

    def back(self, *, registration=None, query=""):
        params = {"q": query[:MAX_QUERY_LENGTH]} if query else {}
        if registration is not None:
            params["confirm"] = registration.pk
        url = event_admin_url("check_in", self.event.pk)
        return redirect(f"{url}?{urlencode(params)}" if params else url)

    def check_in(self, registration, *, let_in_anyway=False) -> dict:
        try:
            result = services.registration_check_in(registration, user=self.request.user, let_in_anyway=let_in_anyway)
        except services.NotAdmitted as refusal:
            return door_row(refusal.registration, self.event, self.request.user, "not_admitted")
        outcome = "already" if result.already else "checked_in"
        return door_row(result.registration, self.event, self.request.user, outcome)

    def tell(self, row: dict) -> None:
        """The outcome as an admin message, for the screen without JavaScript."""
        name, outcome = row["name"], row["outcome"]
        if outcome == "checked_in":
            messages.success(self.request, f"{name} is checked in.")
        elif outcome == "already":
            messages.warning(self.request, f"{name}: already checked in at {row['checked_in']}.")
        else:
            messages.warning(
                self.request,
                f"{name} is not admitted: {row['registration'].get_status_display()}. Let them in anyway, or not.",
            )

    def partial(self, template: str, **context):
        return door_fragment(self.request, template, self.door_context(**context))


class CheckInRegistrationView(DoorActionView):
    def post(self, request, *args, **kwargs):
        registration = get_object_or_404(
            Registration.objects.select_related("event", "checked_in_by"),
            pk=kwargs["registration_id"],
            event=self.event,
        )
        row = self.check_in(registration, let_in_anyway=request.POST.get("let_in_anyway") == "1")
        if request.htmx:
            return self.partial("events/admin/_check_in_row.html", row=row, query=request.POST.get("q", "")[:100])
        self.tell(row)
        refused = row["registration"] if row["outcome"] == "not_admitted" else None
        return self.back(registration=refused, query=request.POST.get("q", ""))


class ScanView(DoorActionView):
    """A scanned ticket: the signed token names the registration; a forged, retired or foreign ticket
    gets a clear refusal (never an error page)."""

    def post(self, request, *args, **kwargs):
        form = ScanForm(request.POST)
        row, problem = None, ""
        if not form.is_valid():
            problem = "This is not a ticket of ours: check it was scanned whole."
        else:
            try:
                registration = links.registration_from_token(form.cleaned_data["ticket"], links.TICKET_SALT)
            except links.BadLink:
                problem = (
                    "This ticket is not valid: it may be forged, cut short, or replaced by a newer one "
                    "(after a cancellation). Ask for their latest ticket email, or search their name."
                )
            else:
                if registration.event_id != self.event.pk:
                    problem = f"This ticket is for another event: {registration.event}."
                else:
                    row = self.check_in(registration)
        if request.htmx:
            return self.partial("events/admin/_scan_result.html", row=row, problem=problem)
        if problem:
            messages.error(request, problem)
            return self.back()
        self.tell(row)
        return self.back(registration=row["registration"] if row["outcome"] == "not_admitted" else None)


class WalkInView(DoorActionView):
    """Someone who did not register: registered on the spot and let in."""

    def post(self, request, *args, **kwargs):
        form = WalkInForm(request.POST)
        row = None
        if form.is_valid():
            try:
                outcome = services.registration_on_behalf(
                    self.event, fields=form.fields_for_service(), user=request.user, source=Registration.Source.WALK_IN
                )
            except ValueError as error:
                form.service_error(error)
            except services.RegistrationClosed as closed:
                form.add_error(None, closed.message)
            else:
                row = self.check_in(outcome.registration, let_in_anyway=True)
        if request.htmx:
            return self.partial(
                "events/admin/_walk_in.html", row=row, walk_in_form=WalkInForm() if row is not None else form
            )
        if row is None:
            return self.render_to_response(self.get_context_data(walk_in_form=form, query="", rows=[]), status=400)
        self.tell(row)
        return self.back()
