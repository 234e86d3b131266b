import shutil

import pytest
from django.conf import settings
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, Site

from tests.factories import (
    CaseStudyIndexPageFactory,
    HomePageFactory,
    WhitepaperIndexPageFactory,
)
from tests.mail_server import mail_server  # noqa: F401  (a real SMTP server on loopback, for every app's tests)


@pytest.fixture(autouse=True, scope="session")
def _clean_test_media():
    """Tests write uploaded files and renditions under a throwaway MEDIA_ROOT."""
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True, scope="session")
def _no_statistics_left_at_exit():
    """Variant statistics still buffered when the session ends would be written at exit, into a test
    database that is gone by then."""
    yield
    from personalization import stats

    stats.discard_pending()


@pytest.fixture(autouse=True)
def _no_page_views_left_buffered():
    """Page views buffered for the lead store live in this process (leads.behaviour) until a flush:
    each test starts with none, so one test's views are never written into another's database."""
    from django.core.cache import cache

    from leads import behaviour

    behaviour.discard_buffered()
    behaviour.flush_gate.reset()  # each test may queue its first flush at once
    yield
    behaviour.discard_buffered()
    cache.delete_many([behaviour.FLUSH_QUEUED, behaviour.FLUSH_LOCK])


def _wagtail_base_rows():
    """The root page, default locale and root collection Wagtail's migrations create.

    A live-server test runs in a real transaction and flushes every table when it ends; the
    next test on that worker gets them back from here.
    """
    locale, _ = Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", live=True, locale=locale))
    return root


def home_page_build():
    """A HomePage at the site root, in place of Wagtail's welcome page, served as testserver (for
    fixtures of any scope)."""
    root = _wagtail_base_rows()
    for page in root.get_children():
        page.delete()
    home = HomePageFactory(parent=root)
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", port=80, root_page=home, is_default_site=True, site_name="Test")
    return home


@pytest.fixture
def home_page(db):
    """A HomePage at the site root, in place of Wagtail's welcome page, served as testserver."""
    return home_page_build()


@pytest.fixture
def whitepaper_index(home_page):
    return WhitepaperIndexPageFactory(parent=home_page)


@pytest.fixture
def case_study_index(home_page):
    return CaseStudyIndexPageFactory(parent=home_page)


@pytest.fixture
def admin_client_logged_in(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw-editor-123")
    client.force_login(user)
    return client
