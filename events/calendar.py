"""Calendar files (RFC 5545) for an event, with icalendar: downloads, email attachments, imports."""

from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent

from .models import Event

PRODID = "-//Signalpage//Events//EN"


def event_uid(event: Event) -> str:
    host = settings.SITE_BASE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "signalpage"
    return f"event-{event.pk}@{host}"


def event_ics(event: Event, *, url: str = "", attendee=None, cancelled: bool = False, join_url: str = "") -> bytes:
    """One VEVENT. `cancelled` makes it a METHOD:CANCEL that removes it from the calendar."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    item = CalendarEvent()
    item.add("uid", event_uid(event))
    item.add("dtstamp", timezone.now())
    item.add("dtstart", event.local_start)
    item.add("dtend", event.local_end)
    item.add("summary", event.title)
    # Every change to the event (the admin saves updated_at) replaces the copy in people's calendars.
    item.add("sequence", int(event.updated_at.timestamp()) // 60 % 2_000_000_000 if event.updated_at else 0)
    description = [event.summary] if event.summary else []
    if join_url:
        description.append(f"Join: {join_url}")
    if url:
        description.append(url)
        item.add("url", url)
    if description:
        item.add("description", "\n\n".join(description))
    location = join_url if event.is_online and join_url else event.where
    if location:
        item.add("location", location)
    item.add("status", "CANCELLED" if cancelled or event.status == Event.Status.CANCELLED else "CONFIRMED")
    # RFC 5546: a CANCEL (and a calendar invitation generally) names its organiser.
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or 'events@localhost'}")
    organizer.params["cn"] = vText(parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or settings.WAGTAIL_SITE_NAME)
    item.add("organizer", organizer)
    if attendee is not None:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.name)
        item.add("attendee", address)
    calendar.add_component(item)
    # RFC 5545: every TZID used needs its VTIMEZONE, or some clients (Outlook) misplace the times.
    calendar.add_missing_timezones(
        first_date=event.local_start.date().replace(month=1, day=1),
        last_date=event.local_end.date().replace(month=12, day=31),
    )
    return calendar.to_ical()


def google_calendar_link(event: Event, *, url: str = "") -> str:
    from urllib.parse import urlencode

    details = "\n\n".join(part for part in (event.summary, url) if part)
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": f"{_utc(event.starts_at)}/{_utc(event.ends_at)}",
            "details": details,
            "location": event.where,
            "ctz": event.time_zone,
        }
    )


def outlook_calendar_link(event: Event, *, url: str = "") -> str:
    from urllib.parse import urlencode

    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event.title,
            "startdt": event.starts_at.isoformat(),
            "enddt": event.ends_at.isoformat(),
            "body": "\n\n".join(part for part in (event.summary, url) if part),
            "location": event.where,
        }
    )


def _utc(value) -> str:
    from datetime import UTC

    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
