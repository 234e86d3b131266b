"""Editors can only create each page type where it belongs."""

import pytest
from wagtail.models import Page

from cms.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    EventIndexPage,
    HomePage,
    StandardPage,
    WhitepaperIndexPage,
    WhitepaperPage,
)
from forms.models import LeadFormPage
from tests.factories import StandardPageFactory, WhitepaperPageFactory

pytestmark = pytest.mark.django_db


def creatable(parent):
    return {model for model in parent.specific_class.creatable_subpage_models() if model.can_create_at(parent)}


def test_home_page_allows_official_pages_and_one_of_each_library(home_page, whitepaper_index, case_study_index):
    # the libraries exist already (one per home); the events listing is created with the first event page
    assert creatable(home_page) == {StandardPage, LeadFormPage, EventIndexPage}


def test_home_page_allows_libraries_until_they_exist(home_page):
    assert creatable(home_page) == {StandardPage, WhitepaperIndexPage, CaseStudyIndexPage, EventIndexPage, LeadFormPage}


def test_home_page_only_at_the_root(home_page):
    assert HomePage.can_create_at(Page.get_first_root_node())
    assert not HomePage.can_create_at(home_page)


def test_whitepapers_only_in_the_whitepaper_library(whitepaper_index, case_study_index, home_page):
    assert creatable(whitepaper_index) == {WhitepaperPage}
    assert creatable(case_study_index) == {CaseStudyPage}
    assert not WhitepaperPage.can_create_at(home_page)
    assert not CaseStudyPage.can_create_at(whitepaper_index)


def test_standard_pages_nest(home_page):
    about = StandardPageFactory(parent=home_page)
    assert creatable(about) == {StandardPage, LeadFormPage}  # forms live beside official pages


def test_whitepapers_have_no_children(whitepaper_index):
    assert creatable(WhitepaperPageFactory(parent=whitepaper_index)) == set()
