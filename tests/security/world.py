"""One small site with something behind every public route: pages of each type, a listing of each
kind, events with their landing pages and a registration (ticket and cancel links), a webinar, a
form, an image, a document and a gated download link. Built once per test module (`world_module`)."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import timezone


@dataclass
class World:
    ids: dict = field(default_factory=dict)  # names used in route templates -> ids and tokens


def world_build() -> World:

    from cms.event_pages import event_pages_sync
    from events import links
    from forms.services.downloads import DownloadGrant, download_token
    from personalization.services import tracked_link_token
    from tests.conftest import home_page_build
    from tests.factories import (
        CaseStudyIndexPageFactory,
        CaseStudyPageFactory,
        DocumentFactory,
        EventFactory,
        ImageFactory,
        IndustryFactory,
        LeadFormPageFactory,
        PersonFactory,
        RegistrationFactory,
        StandardPageFactory,
        TopicFactory,
        WebinarFactory,
        WhitepaperIndexPageFactory,
        WhitepaperPageFactory,
    )

    home = home_page_build()

    topic, industry = TopicFactory(slug="ai"), IndustryFactory(slug="banking")
    standard = StandardPageFactory(parent=home, slug="platform")
    form_page = LeadFormPageFactory(parent=home, slug="contact")
    whitepapers = WhitepaperIndexPageFactory(parent=home)
    whitepaper = WhitepaperPageFactory(
        parent=whitepapers, slug="ai-for-banks", topics=[topic], industries=[industry], gate_form=form_page
    )
    customers = CaseStudyIndexPageFactory(parent=home)
    case_study = CaseStudyPageFactory(parent=customers, slug="meridian", industry=industry, topics=[topic])
    image, document = ImageFactory(), DocumentFactory()

    event = EventFactory(title="RevOps Meetup Berlin")
    event.topics.add("Revenue")
    past = EventFactory(
        title="Past meetup",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=2),
    )
    webinar = WebinarFactory(title="Pipeline webinar")
    pages = {e.pk: page for e, page, _ in event_pages_sync([event, past, webinar], publish=True)}
    registration = RegistrationFactory(event=webinar)
    person = PersonFactory()
    grant = DownloadGrant(document_id=document.pk, object_id=str(whitepaper.pk), person_id=person.pk)

    return World(
        ids={
            "home": home.pk,
            "standard": standard.pk,
            "form": form_page.pk,
            "whitepaper": whitepaper.pk,
            "case_study": case_study.pk,
            "image": image.pk,
            "document": document.pk,
            "document_file": document.filename,
            "event": event.pk,
            "webinar": webinar.pk,
            "event_page_path": pages[event.pk].url,
            "ticket": links.ticket_token(registration),
            "cancel": links.cancel_token(registration),
            "download": download_token(grant),
            "tracked": tracked_link_token(person.pk),
            "provider": "linkedin",
        }
    )


def world_module():
    """A module-scoped `world` fixture: the site is built once, in a transaction rolled back when the
    module is done, with its files in a folder of its own (another test session in the same checkout
    removes its worker's MEDIA_ROOT when it ends) and the cache cleared on both sides (rendered pages
    are cached by page and revision ids, which the next module may reuse)."""

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker, tmp_path_factory):
        cache.clear()
        with (
            override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
            django_db_blocker.unblock(),
            transaction.atomic(),
        ):
            built = world_build()
            yield built
            transaction.set_rollback(True)
        cache.clear()

    return world
