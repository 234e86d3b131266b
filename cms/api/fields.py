"""Serializer fields for the content API (Wagtail API v2 is built on Django REST framework)."""

from rest_framework.fields import Field

from cms.serializers import image_representation


class ImageField(Field):
    """An image with alt text and the standard renditions."""

    def to_representation(self, image):
        return image_representation(image, self.context.get("request"))


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
        request = self.context.get("request")
        return [whitepaper.card_representation(request) for whitepaper in page.live_related_whitepapers]


class EventDetailsField(Field):
    """An event page's event, as a front end needs it (the events app's own representation)."""

    def to_representation(self, event):
        from events.representation import event_representation

        return event_representation(event) if event is not None else None
