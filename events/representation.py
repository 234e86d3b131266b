"""Events as JSON: one shape for the content API (an event page's `event`) and /api/v1/events.

The join or stream link is never here: approved registrants get it from their ticket.
"""

from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model

from events import links
from events.models import Event, EventSession, Speaker
from events.selectors import registration_form_for
from forms.models import LeadFormPage

SPEAKER_PHOTO = "fill-320x320|format-webp"
_LOOK_UP = object()  # event_representation's `form` when the caller has not resolved it


def speakers_with_photos(*renditions: str) -> QuerySet:
    """Speakers with their photo (a join) and the photo's renditions for these filter specs (one query)."""
    speakers = Speaker.objects.select_related("photo")
    if not renditions:
        return speakers
    rendition_model = get_image_model().get_rendition_model()
    # The attribute Wagtail's ImageQuerySet.prefetch_renditions fills, which get_rendition() reads first.
    return speakers.prefetch_related(
        Prefetch(
            "photo__renditions",
            queryset=rendition_model.objects.filter(filter_spec__in=renditions),
            to_attr="prefetched_renditions",
        )
    )


def with_details(events: QuerySet, *renditions: str) -> QuerySet:
    """Events with what their page and representation show, in a fixed number of queries however many
    events, sessions and speakers: speakers with photos (and these renditions), sessions with their
    speakers, topics."""
    speakers = speakers_with_photos(*renditions)
    return events.prefetch_related(
        Prefetch("speakers", queryset=speakers),
        Prefetch("sessions", queryset=EventSession.objects.prefetch_related(Prefetch("speakers", queryset=speakers))),
        "topics",
    )


def registration_forms(events) -> dict[int, LeadFormPage | None]:
    """Each event's registration form (event pk -> form), looking the site's default one up once."""
    forms, default = {}, _LOOK_UP
    for event in events:
        if event.registration_form_id:
            forms[event.pk] = registration_form_for(event)
        else:  # the site's default form: the same for every event without one of its own
            if default is _LOOK_UP:
                default = registration_form_for(event)
            forms[event.pk] = default
    return forms


def event_representation(event: Event, *, form=_LOOK_UP) -> dict:
    """`form`: the event's registration form when the caller has it (see registration_forms); else
    it is looked up."""
    closed = event.registration_closed_reason()
    if form is _LOOK_UP:
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
        "venue": {"name": event.venue_name, "address": event.address, "city": event.city, "country": event.country},
        "capacity": event.capacity,
        "seats_left": event.seats_left,
        "requires_approval": event.requires_approval,
        "registration": {
            "open": not closed,
            "closed_reason": closed,
            "closes_at": event.closes_at.isoformat(),
            "form_id": form.pk if form is not None else None,
            "endpoint": f"/api/v1/events/{event.pk}/registrations",
        },
        "page": {"id": page.pk, "url": page.get_full_url()} if page is not None and page.live else None,
        "calendar_url": links.calendar_url(event),
        "recording_url": event.recording_url if event.is_past else "",
        "speakers": [speaker_representation(speaker) for speaker in event.all_speakers()],
        "sessions": [
            {
                "title": session.title,
                "starts_at": session.starts_at.isoformat(),
                "ends_at": session.ends_at.isoformat(),
                "track": session.track,
                "room": session.room,
                "description": session.description,
                "speaker_ids": [s.pk for s in session.speakers.all()],
            }
            for _track, sessions in event.tracks()
            for session in sessions
        ],
    }


def speaker_representation(speaker) -> dict:
    photo = None
    if speaker.photo is not None:
        rendition = speaker.photo.get_rendition("fill-320x320|format-webp")
        photo = {
            "url": rendition.full_url,
            "width": rendition.width,
            "height": rendition.height,
            "alt": speaker.photo.default_alt_text,
        }
    return {
        "id": speaker.pk,
        "name": speaker.name,
        "job_title": speaker.job_title,
        "company": speaker.company,
        "bio": speaker.bio,
        "photo": photo,
    }
