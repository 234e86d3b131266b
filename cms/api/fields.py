"""Serializer fields for the content API (Wagtail API v2 is built on Django REST framework)."""

from rest_framework.fields import Field

from cms.serializers import image_representation


class ImageField(Field):
    """An image with alt text and the standard renditions."""

    def to_representation(self, image):
        return image_representation(image)


class SnippetListField(Field):
    """Snippets (topics, industries, authors...) as small objects rather than bare ids."""

    def __init__(self, *args, many=True, **kwargs):
        self.many = many
        super().__init__(*args, **kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return value.all() if self.many and value is not None else value

    def to_representation(self, value):
        if self.many:
            return [item.api_representation() for item in value]
        return value.api_representation() if value is not None else None


class WhitepaperDocumentField(Field):
    """The PDF's facts; its URL only when the whitepaper is not gated.

    A gated PDF is handed out by the gate form, never by the public API.
    """

    def to_representation(self, page):
        document = page.document
        if document is None:
            return None
        return {
            "id": document.pk,
            "title": document.title,
            "file_extension": document.file_extension,
            "file_size": document.get_file_size(),
            "download_url": page.public_document_url,
        }


class CaseStudyRelatedWhitepapersField(Field):
    def to_representation(self, page):
        return [whitepaper.card_representation() for whitepaper in page.live_related_whitepapers]


class EventDetailsField(Field):
    """An event page's event, as a front end needs it to render the page and its registration form.

    The join or stream link is never here: approved registrants get it from their ticket.
    """

    def to_representation(self, event):
        if event is None:
            return None
        from events import links

        closed = event.registration_closed_reason()
        speakers = event.all_speakers()
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
                "form_id": _registration_form_id(event),
                "endpoint": f"/api/v1/events/{event.pk}/registrations",
            },
            "calendar_url": links.calendar_url(event),
            "recording_url": event.recording_url if event.is_past else "",
            "speakers": [_speaker(speaker) for speaker in speakers],
            "sessions": [
                {"title": session.title, "starts_at": session.starts_at.isoformat(),
                 "ends_at": session.ends_at.isoformat(), "track": session.track, "room": session.room,
                 "description": session.description, "speaker_ids": [s.pk for s in session.speakers.all()]}
                for _track, sessions in event.tracks() for session in sessions
            ],
        }


def _registration_form_id(event):
    from cms.event_pages import registration_form_for

    form = registration_form_for(event)
    return form.pk if form is not None else None


def _speaker(speaker):
    from cms.serializers import image_representation

    return {"id": speaker.pk, "name": speaker.name, "job_title": speaker.job_title, "company": speaker.company,
            "bio": speaker.bio, "photo": image_representation(speaker.photo)}
