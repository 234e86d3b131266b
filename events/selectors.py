"""Reads of the events app."""

from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone

from forms.models import FormPurpose, LeadFormPage
from forms.services.visitor_form import GatedAsset, form_page_at

from .models import Event, EventTopic, Registration

CHECK_IN_RESULTS = 20


def registration_for_person(event: Event, person) -> Registration | None:
    """A known visitor's live registration for this event (not a cancelled one)."""
    if person is None or not getattr(person, "email_key", ""):
        return None
    return (
        Registration.objects.select_related("event")
        .filter(event=event, email_key=person.email_key)
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )


def registrations_search(event: Event, query: str, *, full_emails: bool = True):
    """Check-in search: name, email or company, starting with what was typed (an index-friendly prefix).

    full_emails=False (staff who see addresses masked): an address matches only when typed in full,
    so a masked address can't be recovered letter by letter."""
    query = " ".join((query or "").replace("\x00", "").split())[:100]  # PostgreSQL refuses NUL in text
    registrations = (
        Registration.objects.filter(event=event)
        .exclude(status__in=[Registration.Status.CANCELLED])
        .select_related("checked_in_by")
    )
    if not query:
        return registrations.none()
    condition = Q()
    for word in query.split(" ")[:4]:
        email = Q(email__istartswith=word) if full_emails else Q(email__iexact=word)
        condition &= (
            Q(first_name__istartswith=word) | Q(last_name__istartswith=word) | email | Q(company__istartswith=word)
        )
    return registrations.filter(condition).order_by("last_name", "first_name")[:CHECK_IN_RESULTS]


def status_counts(event: Event) -> dict[str, int]:
    rows = Registration.objects.filter(event=event).values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(Registration.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def events_upcoming(now=None):
    now = now or timezone.now()
    return Event.objects.exclude(status=Event.Status.DRAFT).filter(ends_at__gt=now).order_by("starts_at")


def events_past(now=None):
    now = now or timezone.now()
    return Event.objects.exclude(status=Event.Status.DRAFT).filter(ends_at__lte=now).order_by("-starts_at")


def events_soonest_first(events, now=None):
    """Upcoming events first, the soonest at the top (the one door staff and sales look for), then the
    past ones, the latest first. An event that has started counts as upcoming until it ends."""
    now = now or timezone.now()
    upcoming = Q(ends_at__gt=now)
    return events.annotate(
        in_the_past=Case(When(upcoming, then=Value(0)), default=Value(1)),
        upcoming_start=Case(When(upcoming, then=F("starts_at"))),
        past_start=Case(When(~upcoming, then=F("starts_at"))),
    ).order_by("in_the_past", "upcoming_start", "-past_start", "pk")


def registration_form_for(event: Event | None) -> LeadFormPage | None:
    """The event's own registration form, else the site's default one (the first registration form).

    One narrow query reads which form and at which revisions; the form page itself (a Wagtail page: two
    tables, many columns) and its fields come from the per-revision cache in forms.services.visitor_form,
    so a burst of registrations does not rebuild the form for every request, and a newly published
    revision is seen by the next one."""
    if event is None:
        return None
    if event.registration_form_id and "registration_form" in event._state.fields_cache:
        return event.registration_form  # the caller joined it (select_related)
    forms = LeadFormPage.objects.order_by()
    if event.registration_form_id:
        forms = forms.filter(pk=event.registration_form_id)
    else:
        forms = forms.filter(purpose=FormPurpose.REGISTRATION).order_by("path")
    row = forms.values_list("pk", "live_revision_id", "latest_revision_id").first()
    return form_page_at(*row) if row is not None else None


def registration_asset(event: Event) -> GatedAsset:
    """What a registration form fill is for, in the forms app's terms: the lead's origin is the event."""
    if "topics" in getattr(event, "_prefetched_objects_cache", {}):
        topics = tuple(tag.slug for tag in event.topics.all())
    else:  # the slugs alone: a third of the CPU of prefetching the tags (a registration POST needs no more)
        topics = tuple(EventTopic.objects.filter(content_object_id=event.pk).values_list("tag__slug", flat=True))
    return GatedAsset(
        document_id=None,
        object_id=str(event.pk),
        label=event.title[:255],
        topics=topics,
        object_type="event",
    )
