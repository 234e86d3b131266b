"""Events as JSON: one shape for the content API (an event page's `event`) and /api/v1/events.

The join or stream link is never here: approved registrants get it from their ticket.
"""

from events import links
from events.models import Event
from events.selectors import registration_form_for


def event_representation(event: Event) -> dict:
    closed = event.registration_closed_reason()
    form = registration_form_for(event)
    page = getattr(event, "landing_page", None)
    return {
        "id": event.pk,
        "title": event.title,
        "type": event.type,
        "status": event.current_status,
        "summary": event.summary,
        "description": event.description,
        "topics": [{"name": tag.name, "slug": tag.slug} for tag in event.topics.all()],
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "time_zone": event.time_zone,
        "local_start": event.local_start.isoformat(),
        "local_end": event.local_end.isoformat(),
        "online": event.is_online,
        "venue": {"name": event.venue_name, "address": event.address, "city": event.city,
                  "country": event.country},
        "capacity": event.capacity,
        "seats_left": event.seats_left,
        "requires_approval": event.requires_approval,
        "registration": {
            "open": not closed, "closed_reason": closed, "closes_at": event.closes_at.isoformat(),
            "form_id": form.pk if form is not None else None,
            "endpoint": f"/api/v1/events/{event.pk}/registrations",
        },
        "page": {"id": page.pk, "url": page.get_full_url()} if page is not None and page.live else None,
        "calendar_url": links.calendar_url(event),
        "recording_url": event.recording_url if event.is_past else "",
        "speakers": [speaker_representation(speaker) for speaker in event.all_speakers()],
        "sessions": [
            {"title": session.title, "starts_at": session.starts_at.isoformat(),
             "ends_at": session.ends_at.isoformat(), "track": session.track, "room": session.room,
             "description": session.description, "speaker_ids": [s.pk for s in session.speakers.all()]}
            for _track, sessions in event.tracks() for session in sessions
        ],
    }


def speaker_representation(speaker) -> dict:
    photo = None
    if speaker.photo is not None:
        rendition = speaker.photo.get_rendition("fill-320x320|format-webp")
        photo = {"url": rendition.full_url, "width": rendition.width, "height": rendition.height,
                 "alt": speaker.photo.default_alt_text}
    return {"id": speaker.pk, "name": speaker.name, "job_title": speaker.job_title, "company": speaker.company,
            "bio": speaker.bio, "photo": photo}
