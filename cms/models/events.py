"""Event landing pages and the events listing.

An EventPage is generated from an events.Event (cms.event_pages) and shows the event's details
(dates, venue, agenda, speakers, registration) from the event itself on every view: editing the
event changes the page with no copy to keep in step. The page's own fields (intro, FAQ, extra
body blocks, images, SEO) belong to editors and generation never overwrites them.
"""

from django.db import models
from django.db.models import Prefetch
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.search import index

from cms.api.fields import EventDetailsField, ImageField
from cms.blocks import RICH_TEXT_FEATURES, BodyBlock, FAQBlock
from events.models import Event

from .pages import BasePage, ResultsInPlaceMixin, listing_page_context

# The renditions the templates make: a speaker's photo (pages/event_page.html) and an event card's
# hero image (partials/event_card.html).
SPEAKER_PHOTO = "fill-160x160|format-webp"
CARD_IMAGE = "fill-800x450|format-webp"
# What visitors read for each type; the admin's labels ("In person (meetup, workshop)") explain the
# types to marketers and stay there.
EVENT_TYPE_LABELS = {
    Event.Type.WEBINAR: "Webinar",
    Event.Type.IN_PERSON: "Meetup or workshop",
    Event.Type.CONFERENCE: "Conference",
}
# An event card without a hero image shows its type's picture (site/static/img/events/).
EVENT_TYPE_IMAGES = {
    Event.Type.WEBINAR: "img/events/webinar.svg",
    Event.Type.IN_PERSON: "img/events/meetup.svg",
    Event.Type.CONFERENCE: "img/events/conference.svg",
}


class EventIndexPage(ResultsInPlaceMixin, BasePage):
    """Upcoming and past events, filtered by when, type, topic and city.

    Like the whitepaper library: a plain GET form that works without JavaScript; with htmx a change
    swaps the results region in place (ResultsInPlaceMixin).
    """

    personalised_fields = ()
    intro = models.TextField(blank=True, max_length=500)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    api_fields = [*BasePage.api_fields, APIField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.EventPage", "leadforms.LeadFormPage"]
    max_count_per_parent = 1
    template = "pages/event_index_page.html"
    results_template = "partials/event_results.html"
    # Kept per filter and page, keyed by the events' state (events.page_holes.listing_variant).
    output_cache = True
    output_cache_params = frozenset({"when", "type", "topic", "city", "page"})

    def output_variant_spec(self):
        return ("events.page_holes.listing_variant", None)

    class Meta:
        verbose_name = "events listing"

    def event_pages(self):
        return (
            EventPage.objects.live()
            .descendant_of(self)
            .filter(event__isnull=False)
            .exclude(event__status=Event.Status.DRAFT)
            .select_related("event", "hero_image")
        )

    def get_context(self, request, *args, **kwargs):
        from cms.forms import EventFilterForm

        context = super().get_context(request, *args, **kwargs)
        form = EventFilterForm(request.GET or None, cities=self.cities())
        filters = form.cleaned_filters() if form.is_bound else {}
        pages = self.event_pages()
        if filters.get("type"):
            pages = pages.filter(event__type=filters["type"])
        if filters.get("topic"):
            pages = pages.filter(event__tagged_topics__tag__slug=filters["topic"]).distinct()
        if filters.get("city"):
            pages = pages.filter(event__city__iexact=filters["city"])
        now = timezone.now()
        past = filters.get("when") == "past"
        pages = (
            pages.filter(event__ends_at__lte=now).order_by("-event__starts_at")
            if past
            else pages.filter(event__ends_at__gt=now).order_by("event__starts_at")
        )
        # The cards' hero image renditions in one query (else one per card whenever they are not cached).
        pages = pages.prefetch_related(
            Prefetch(
                "hero_image__renditions",
                to_attr="prefetched_renditions",
                queryset=get_image_model().get_rendition_model().objects.filter(filter_spec=CARD_IMAGE),
            )
        )
        listing = listing_page_context(request, pages)
        if form.errors or request.GET.get("page", "1") != str(listing["page_obj"].number):
            # Only the canonical URLs fill the cache: ?page=abc or ?city=nonsense can be asked for endlessly.
            from cms.page_cache import output_uncacheable

            output_uncacheable(request)
        context.update(
            listing,
            filter_form=form,
            filters_active=bool(filters),
            showing_past=past,
            item_singular="event",
            item_plural="events",
        )
        return context

    def cities(self) -> list[str]:
        return sorted({city for city in self.event_pages().values_list("event__city", flat=True) if city})


class EventPage(BasePage):
    """The landing page of one event: hero, details, agenda, speakers, registration, FAQ."""

    event = models.OneToOneField(
        Event,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="landing_page",
        help_text="The event this page shows: its details come from there",
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intro = RichTextField(
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text="Yours: shown under the hero, never touched when the event changes",
    )
    faq = StreamField([("faq", FAQBlock())], blank=True, max_num=1)
    body = StreamField(BodyBlock(), blank=True, help_text="Extra sections after the agenda and speakers")
    # The event title this page was last given: while the page title still equals it, a new event
    # title is carried over; once an editor renames the page, their title stays.
    synced_title = models.CharField(max_length=255, blank=True, editable=False)

    content_panels = [
        *Page.content_panels,
        HelpPanel(
            content="Dates, place, agenda, speakers and the registration form come from the event "
            "(Events → Events). Edit them there; this page shows them as soon as you save. "
            "What you write here is yours and is never overwritten."
        ),
        FieldPanel("event", read_only=True),
        FieldPanel("hero_image"),
        FieldPanel("intro"),
        FieldPanel("faq"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.EventIndexPage"]
    subpage_types = []
    template = "pages/event_page.html"
    listing_image_field = "hero_image"

    class Meta:
        verbose_name = "event page"

    api_fields = [
        *BasePage.api_fields,
        APIField("event", serializer=EventDetailsField()),
        APIField("hero_image", serializer=ImageField()),
        APIField("intro"),
        APIField("faq"),
        APIField("body"),
    ]

    @cached_property
    def event_details(self) -> Event | None:
        """The event with all the page shows (speakers with their photos, sessions with their speakers,
        topics) in a fixed number of queries however big the agenda; loaded once per request and used
        for the page's context, JSON-LD and registration. It also becomes `self.event`, so everything
        serving this page sees one and the same event."""
        from events.representation import with_details

        if self.event_id is None:
            return None
        event = with_details(Event.objects.filter(pk=self.event_id), SPEAKER_PHOTO).first()
        if event is not None:
            self.event = event
        return event

    @cached_property
    def event_speakers(self) -> list:
        """The event's speakers, then the sessions' (event.all_speakers()), computed once."""
        event = self.event_details
        return event.all_speakers() if event is not None else []

    @cached_property
    def registration_form(self):
        from events.selectors import registration_form_for

        return registration_form_for(self.event_details) if self.event_id else None

    def visitor_tags(self):
        """(topic slugs, industry slugs) a view of this page says about the visitor (personalisation)."""
        if self.event is None:
            return (), ()
        return tuple(self.event.topics.values_list("slug", flat=True)), ()

    def get_context(self, request, *args, **kwargs):
        from events import links
        from events.calendar import google_calendar_link, outlook_calendar_link

        context = super().get_context(request, *args, **kwargs)
        event = self.event_details
        url = self.get_full_url(request)
        context.update(
            event=event,
            speakers=self.event_speakers,
            tracks=event.tracks(),
            calendar_url=links.calendar_url(event),
            google_calendar_url=google_calendar_link(event, url=url),
            outlook_calendar_url=outlook_calendar_link(event, url=url),
            registration_closed=event.registration_closed_reason(),
        )
        return context

    # Kept in the output cache with the registration panel and the seats left as holes, keyed by the event's
    # live state (events.page_holes).
    output_cache = True

    def output_variant_spec(self):
        return ("events.page_holes.page_variant", self.event_id)

    def serve(self, request, *args, **kwargs):
        from events.page_holes import live_event
        from events.selectors import registration_asset
        from events.views import RegistrationHost, remember_invite
        from forms.services.journey import form_serve

        preview = getattr(request, "is_preview", False)
        visitors_get = request.method == "GET" and not request.headers.get("HX-Request") and not preview
        # A visitor's GET reads the event's row alone (the page may come from the cache); the rest reads
        # the event with all its page shows.
        event = (live_event(request, self.event_id) if self.event_id else None) if visitors_get else self.event_details
        if event is None or event.status == Event.Status.DRAFT and not preview:
            raise Http404("This event is not available.")
        if visitors_get:
            response = self._serve_with_holes(request)
        elif (form_page := self.registration_form) is None:
            response = super().serve(request, *args, **kwargs)
        else:
            response = form_serve(
                request,
                host_page=self,
                form_page=form_page,
                template=self.get_template(request),
                asset=registration_asset(event),
                host=RegistrationHost(request, event),
            )
        remember_invite(request, response)
        return response

    def _serve_with_holes(self, request):
        """A visitor's GET: the page everyone sees, from the output cache or rendered and kept, with this
        visitor's registration panel and the seats left filled in (events.page_holes)."""
        from cms import page_holes
        from cms.page_cache import content_epoch, serve_personalised
        from events.selectors import registration_asset

        def render():
            context = self.get_context(request)
            context["lead_form"] = {"hole": page_holes.mark("event_registration")}
            context["seats_hole"] = page_holes.mark("event_seats")
            spec = {"event_id": self.event_id}
            registration = {
                **spec,
                "action": self.url or request.path,
                "asset": registration_asset(self.event_details),
                "version": content_epoch(),  # the form's consent wording changes the epoch
            }
            page_holes.holes_left(request, {"event_registration": registration, "event_seats": spec})
            return TemplateResponse(request, self.get_template(request), context)

        return serve_personalised(self, request, render, use_cache=self.output_cache)

    @property
    def event_type_label(self) -> str:
        return EVENT_TYPE_LABELS.get(self.event.type, "") if self.event else ""

    @property
    def default_card_image(self) -> str:
        """The static picture of the event's type, for cards when the page has no hero image."""
        return EVENT_TYPE_IMAGES.get(self.event.type if self.event else "", EVENT_TYPE_IMAGES[Event.Type.IN_PERSON])

    @property
    def place_label(self) -> str:
        """Where, in a few words: "Online", or the venue and city."""
        event = self.event
        if event is None:
            return ""
        if event.is_online:
            return "Online"
        return ", ".join(part for part in (event.venue_name, event.city) if part) or event.where

    def card_representation(self, request=None):
        event = self.event
        return {
            "id": self.pk,
            "type": "event",
            "title": self.title,
            "url": self.url,
            "summary": event.summary if event else "",
            "starts_at": event.starts_at.isoformat() if event else None,
            "event_type": event.type if event else None,
            "city": event.city if event else "",
        }

    def json_ld(self, request):
        """schema.org Event: Google's event rich results read these fields."""
        event = self.event_details
        if event is None:
            return None
        online = event.is_online
        data = {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": event.title,
            "description": event.summary,
            "startDate": event.local_start.isoformat(),
            "endDate": event.local_end.isoformat(),
            "url": self.get_full_url(request),
            "eventStatus": "https://schema.org/EventCancelled"
            if event.status == Event.Status.CANCELLED
            else "https://schema.org/EventScheduled",
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode"
            if online
            else "https://schema.org/OfflineEventAttendanceMode",
            "location": {"@type": "VirtualLocation", "url": self.get_full_url(request)}
            if online
            else {
                "@type": "Place",
                "name": event.venue_name or event.city,
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": event.address,
                    "addressLocality": event.city,
                    "addressCountry": event.country,
                },
            },
            "organizer": {"@type": "Organization", "name": self.get_site().site_name if self.get_site() else ""},
            "performer": [{"@type": "Person", "name": speaker.name} for speaker in self.event_speakers],
            "offers": {
                "@type": "Offer",
                "price": "0",
                "priceCurrency": "EUR",
                "url": self.get_full_url(request),
                "availability": "https://schema.org/SoldOut" if event.seats_left == 0 else "https://schema.org/InStock",
            },
        }
        image = self.share_image
        if image is not None:
            data["image"] = self.image_url(image, "fill-1200x630", request)
        return data
