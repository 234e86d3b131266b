"""Generating event landing pages from events, and keeping them in step.

cms owns page types, so it answers the events app's `landing_pages_requested` signal. A generated
page holds no copy of the event's details (the template reads them from the event), so "in step"
means only two things here: a new event title is carried to the page title while an editor has
not renamed the page, and every change to an event starts a new content epoch (cached listings).
Work starts from the page's latest revision, so an editor's unpublished draft is never lost.
"""

import logging

from django.db import transaction
from django.utils.text import slugify
from wagtail.coreutils import find_available_slug
from wagtail.models import Page

from cms.models import EventIndexPage, EventPage, HomePage
from events.models import Event
from forms.models import FormPurpose, LeadFormField, LeadFormPage

logger = logging.getLogger(__name__)

DEFAULT_FORM_SLUG = "event-registration"
DEFAULT_FORM_FIELDS = [
    ("First name", "singleline", "first_name", True),
    ("Last name", "singleline", "last_name", True),
    ("Work email", "email", "email", True),
    ("Company", "singleline", "company", True),
    ("Job title", "singleline", "job_title", False),
]
DEFAULT_FAQ = {
    Event.Type.WEBINAR: [
        (
            "Do I need to install anything?",
            "No. The webinar runs in your browser; the link is in your confirmation email and on your ticket page.",
        ),
        ("Will there be a recording?", "Yes. Everyone who registers gets the recording by email after the event."),
        ("Can I ask questions?", "Yes, in the Q&amp;A during the live session."),
    ],
    Event.Type.CONFERENCE: [
        ("How do I get in?", "Show the QR code on your ticket (in your confirmation email) at the entrance."),
        ("Can I switch tracks during the day?", "Yes. Your ticket is valid for every session and track."),
        ("Can I bring a colleague?", "Every attendee needs their own registration: share this page with them."),
    ],
    Event.Type.IN_PERSON: [
        ("How do I get in?", "Show the QR code on your ticket (in your confirmation email) at the door."),
        ("Is it free?", "Yes, attendance is free. Places are limited, so please cancel if you can't come."),
    ],
}


def events_index() -> EventIndexPage:
    """The events listing under the home page; created (published) on first use."""
    index = EventIndexPage.objects.order_by("path").first()
    if index is not None:
        return index
    home = HomePage.objects.order_by("path").first()
    if home is None:
        raise RuntimeError("There is no home page to put the events listing under.")
    index = EventIndexPage(title="Events", slug="events", intro="Webinars, meetups and conferences.")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def default_registration_form(parent: Page) -> LeadFormPage:
    """A registration form for events that name none: names, work email, company, job title.

    Left unpublished: it is shown inside event pages, never on its own. Events send the
    confirmation (with the ticket), so the form's own confirmation email is off.
    """
    existing = LeadFormPage.objects.filter(purpose=FormPurpose.REGISTRATION).order_by("path").first()
    if existing is not None:
        return existing
    form = LeadFormPage(
        title="Event registration",
        slug=DEFAULT_FORM_SLUG,
        purpose=FormPurpose.REGISTRATION,
        submit_label="Register",
        send_confirmation=False,
        gate_behaviour="always",
        live=False,
        thank_you_text="<p>Thank you for registering.</p>",
    )
    parent.add_child(instance=form)
    for order, (label, field_type, maps_to, required) in enumerate(DEFAULT_FORM_FIELDS):
        LeadFormField.objects.create(
            page=form, sort_order=order, label=label, field_type=field_type, maps_to=maps_to, required=required
        )
    form.save_revision()
    return form


def _faq_for(event: Event) -> list:
    items = [{"question": q, "answer": f"<p>{a}</p>"} for q, a in DEFAULT_FAQ.get(event.type, [])]
    return [("faq", {"heading": "Frequently asked questions", "items": items})] if items else []


def event_pages_sync(events, *, publish: bool = False, user=None) -> list[tuple[Event, EventPage, str]]:
    """Create the landing page of each event that has none; bring existing ones in step."""
    results = []
    index = None
    for event in events:
        page = EventPage.objects.filter(event=event).first()
        with transaction.atomic():
            if page is None:
                index = index or events_index()
                if not event.registration_form_id:
                    default_registration_form(index)
                page = _page_create(event, index, publish=publish, user=user)
                results.append((event, page, "created"))
            else:
                results.append((event, page, _page_update(event, page, publish=publish, user=user)))
    return results


def _slug_base(event: Event) -> str:
    """Meetups and webinars recur under one name: their date tells them apart. Conferences are
    named per edition: the year, unless the title has it already (Revenue Summit 2027)."""
    start = event.local_start
    if event.type != Event.Type.CONFERENCE:
        return f"{event.title} {start:%Y %m %d}"
    return event.title if str(start.year) in event.title else f"{event.title} {start:%Y}"


def _page_create(event: Event, index: EventIndexPage, *, publish: bool, user) -> EventPage:
    page = EventPage(
        title=event.title,
        synced_title=event.title,
        event=event,
        live=False,
        slug=find_available_slug(index, (slugify(_slug_base(event)) or "event")[:70]),
        search_description=event.summary[:300],
        faq=_faq_for(event),
        owner=user,
    )
    index.add_child(instance=page)
    revision = page.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
    return page


def _page_update(event: Event, page: EventPage, *, publish: bool, user) -> str:
    latest = page.get_latest_revision_as_object()
    changed = False
    if latest.title == latest.synced_title and latest.title != event.title:
        latest.title, latest.draft_title, changed = event.title, event.title, True
    if latest.synced_title != event.title:
        latest.synced_title, changed = event.title, True
    if not changed and not (publish and (not page.live or page.has_unpublished_changes)):
        return "unchanged"
    # Published pages with no pending edits stay published with the new title; a page an editor
    # is still working on keeps being a draft (their edits carry the new title too).
    was_clean = page.live and not page.has_unpublished_changes
    revision = latest.save_revision(user=user, log_action=True) if changed else page.get_latest_revision()
    if publish or was_clean:
        revision.publish(user=user)
    return "updated"


# --- Receivers (connected in cms.apps) -----------------------------------------------------------
def on_landing_pages_requested(sender, *, events, publish=False, user=None, **kwargs):
    return event_pages_sync(events, publish=publish, user=user)


def on_events_changed(sender, *, event_ids, **kwargs):
    from cms.page_cache import content_changed

    content_changed(sender=Event)  # listings and pages that show events render them again
    pages = EventPage.objects.filter(event_id__in=event_ids).select_related("event")
    for page in pages:
        try:
            _page_update(page.event, page, publish=False, user=None)
        except Exception:  # the event is saved; the page title catches up next time
            logger.exception("Bringing the landing page of event %s in step failed", page.event_id)
