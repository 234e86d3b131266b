"""`manage.py load_demo`: a believable site, built once, safe to run again."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from cms.demo.leads import SALES_USERS
from cms.demo.loader import DEMO_USERNAME
from cms.models import (
    CallToAction,
    CaseStudyPage,
    HomePage,
    Industry,
    SiteSettings,
    StandardPage,
    Topic,
    WhitepaperPage,
)
from leads.models import CrmDelivery, Interaction, Lead, Person, SalesRep, ScoringRule, StageTransition

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Page,
            Revision,
            get_image_model(),
            get_document_model(),
            Topic,
            Industry,
            CallToAction,
            get_user_model(),
            Person,
            Lead,
            Interaction,
            StageTransition,
            ScoringRule,
            CrmDelivery,
        )
    }


def test_builds_the_demo_site_and_a_second_run_changes_nothing(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    home = HomePage.objects.get()
    assert home.live and home.get_site().root_page_id == home.pk
    assert StandardPage.objects.live().count() >= 5
    papers = WhitepaperPage.objects.live()
    assert papers.count() >= 8
    for paper in papers:
        with paper.document.file.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        assert paper.page_count and paper.page_count >= 3
        assert paper.cover_image_id and paper.topics.exists()
    stories = CaseStudyPage.objects.live()
    assert stories.count() >= 8
    assert len({story.industry_id for story in stories}) >= 4
    assert SiteSettings.for_site(home.get_site()).primary_navigation
    assert get_user_model().objects.get(username=DEMO_USERNAME).is_superuser

    # The lead store is populated through the real pipeline.
    assert Person.objects.count() >= 200
    assert SalesRep.objects.count() == len(SALES_USERS)
    assert ScoringRule.objects.filter(kind="fit").exists() and ScoringRule.objects.filter(kind="interest").exists()
    stages = set(Person.objects.values_list("stage", flat=True))
    assert {"lead", "mql", "sql", "opportunity", "customer", "nurture"} <= stages
    assert len(set(Person.objects.values_list("grade", flat=True))) >= 8
    flags = {code for lead in Lead.objects.filter(verdict="flagged") for code in lead.flag_codes}
    assert {"test_data", "competitor", "disposable_email", "invalid_email", "missing_email", "duplicate",
            "invalid_phone"} <= flags
    assert not Lead.objects.filter(status="failed").exists()
    assert Person.objects.filter(stage="mql", owner__isnull=False).exists()

    before = counts()
    edited = StandardPage.objects.get(slug="pricing")
    edited.title = "Pricing (edited by an editor)"
    edited.save_revision().publish()
    before = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == before
    assert StandardPage.objects.get(slug="pricing").title == "Pricing (edited by an editor)"

    # The demo is browsable straight away.
    assert client.get("/").status_code == 200
    assert client.get("/whitepapers/").status_code == 200
    assert client.get(papers.first().url).status_code == 200


def test_gated_pdfs_have_no_public_url(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    gated = WhitepaperPage.objects.filter(gated=True).first()
    response = client.get(gated.document.url)
    assert response.status_code == 302 and "/login" in response["Location"]
    open_paper = WhitepaperPage.objects.filter(gated=False).first()
    assert client.get(open_paper.document.url).status_code == 200


def test_no_demo_users_where_they_are_disabled(settings):
    settings.DEMO_USER_ENABLED = False
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert not get_user_model().objects.exists()  # neither the admin nor the sales reps
