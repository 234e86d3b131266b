"""Builds the demo site. Idempotent: every object is looked up by its natural key (slug, name,
title) first and only created when missing; existing objects are never changed, so a second run
leaves an editor's changes alone and creates no duplicates."""

import io
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, Site

from cms.demo import content
from cms.demo.campaigns import campaigns_demo
from cms.demo.events import DemoEventLoader
from cms.demo.home_content import DemoHomeContent
from cms.demo.leads import DemoLeadLoader
from cms.demo.media import abstract_image, logo_image
from cms.demo.pages import DemoPages
from cms.demo.personalisation import demo_segments
from cms.demo.reports import reports_demo
from cms.models import (
    Author,
    CallToAction,
    CaseStudyIndexPage,
    Industry,
    Product,
    SiteSettings,
    Topic,
    WhitepaperIndexPage,
)

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "northwind-demo-2026"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    user_created: bool = False
    user_skipped_reason: str = ""

    def add(self, what: str):
        self.created.append(what)


class DemoLoader(DemoPages, DemoHomeContent):
    """The demo site: its pages (cms.demo.pages), the home content and personalisation
    (cms.demo.home_content), then the lead store (cms.demo.leads) and the events (cms.demo.events)."""

    def __init__(self, progress=None):
        # progress(step): told as each slow step starts, so a first run (a few minutes) shows where it is.
        self.progress = progress or (lambda step: None)
        self.report = LoadReport()
        self.Image = get_image_model()
        self.Document = get_document_model()

    # --- entry point ---
    def load(self) -> LoadReport:
        self.progress("pages, images and menus")
        with transaction.atomic():
            self.taxonomies()
            self.segments = demo_segments(self.report)
            home = self.home_page()
            self.images()
            pages = self.official_pages(home)
            pages["contact-sales"] = self.lead_form(
                home,
                "contact-sales",
                purpose="contact_sales",
                spec=content.CONTACT_SALES,
                submit_label="Send",
                show_in_menus=True,
            )
            gate = self.lead_form(
                home,
                content.WHITEPAPER_GATE["slug"],
                purpose="gate",
                spec=content.WHITEPAPER_GATE,
                submit_label="Get the PDF",
            )
            self.consent_policies()
            self.calls_to_action(pages)
            whitepaper_index = self.index_page(
                home,
                WhitepaperIndexPage,
                "whitepapers",
                "Whitepapers & research",
                "Research, benchmarks and playbooks for B2B revenue teams.",
            )
            case_study_index = self.index_page(
                home,
                CaseStudyIndexPage,
                "customers",
                "Customer stories",
                "How revenue teams in banking, healthcare, manufacturing and more work with Northwind Signal.",
            )
            self.progress("whitepapers (their PDFs are generated) and case studies")
            whitepapers = self.whitepapers(whitepaper_index, gate_form=gate)
            self.case_studies(case_study_index, whitepapers)
            self.targets = self.cta_targets(pages, whitepaper_index, case_study_index)
            self.fill_home_body(home)
            self.personalised_pages(home, pages)
            self.site_settings(home, pages, whitepaper_index, case_study_index)
        self.demo_user()
        # Leads go through the real capture pipeline, which manages its own transactions.
        self.progress("lead store: people, companies and their stories, through the real capture pipeline")
        DemoLeadLoader(self.report).load()
        # Events register demo people from the lead store, so they come after it (own transaction).
        self.progress("events, speakers and registrations")
        DemoEventLoader(self.report, staff_username=DEMO_USERNAME).load()
        # Campaign email reads the lead store (audiences, consent) and the pages (links), so it comes last.
        self.progress("campaign email: a newsletter sent, with its opens and clicks, and a nurture email to send")
        campaigns_demo(self.report)
        # Reports read everything above: its history is put back in time, then the CRM's side is added.
        self.progress("reports: 90 days of traffic, the funnel over time, opportunities and wins from the CRM")
        reports_demo(self.report)
        return self.report

    # --- taxonomies and snippets ---
    def taxonomies(self):
        for model, rows in ((Industry, content.INDUSTRIES), (Topic, content.TOPICS), (Product, content.PRODUCTS)):
            for name, slug in rows:
                _, created = model.objects.get_or_create(slug=slug, defaults={"name": name})
                if created:
                    self.report.add(f"{model._meta.verbose_name} {name}")
        for name, job_title in content.AUTHORS:
            _, created = Author.objects.get_or_create(name=name, defaults={"job_title": job_title})
            if created:
                self.report.add(f"author {name}")

    def calls_to_action(self, pages):
        for row in content.CALLS_TO_ACTION:
            if not CallToAction.objects.filter(title=row["title"]).exists():
                CallToAction.objects.create(
                    title=row["title"],
                    text=row["text"],
                    button_label=row["button_label"],
                    button_page=pages.get(row["page_slug"]),
                )
                self.report.add(f"call to action {row['title']}")

    # --- media ---
    def image(self, title: str, *, logo=False, size=(1600, 900)) -> "get_image_model()":
        existing = self.Image.objects.filter(title=title).first()
        if existing:
            return existing
        data = logo_image(title) if logo else abstract_image(title, width=size[0], height=size[1])
        extension = "png" if logo else "jpg"
        filename = f"demo-{_slugify(title)}.{extension}"
        image = self.Image(
            title=title,
            description=f"{title} logo" if logo else f"{title} illustration",
            file=ImageFile(io.BytesIO(data), name=filename),  # ImageFile fills width and height
        )
        image.save()
        self.report.add(f"image {title}")
        return image

    def images(self):
        self.hero_image = self.image("Revenue signals hero", size=(1600, 800))
        self.logos = [self.image(name, logo=True) for name in content.CUSTOMER_LOGOS]

    def collection(self, name: str, *, private: bool) -> Collection:
        root = Collection.get_first_root_node()
        existing = root.get_children().filter(name=name).first()
        if existing:
            return existing
        collection = root.add_child(name=name)
        if private:
            # Only signed-in users (editors) can open these files directly; visitors get gated
            # PDFs through the form's signed download link.
            CollectionViewRestriction.objects.create(
                collection=collection, restriction_type=CollectionViewRestriction.LOGIN
            )
        self.report.add(f"collection {name}")
        return collection

    # --- site settings: navigation, footer and social links ---
    def site_settings(self, home, pages, whitepaper_index, case_study_index):
        site = Site.objects.get(root_page=home)
        site_settings = SiteSettings.for_site(site)
        if site_settings.primary_navigation:
            return

        def link(label, page):
            return {"label": label, "page": page, "url": ""}

        site_settings.organisation_name = "Northwind Signal"
        site_settings.tagline = "Revenue intelligence for B2B teams"
        site_settings.default_seo_image = self.hero_image
        site_settings.contact_email = "hello@northwind-signal.example"
        site_settings.primary_navigation = [
            ("link", link("Platform", pages["platform"])),
            ("link", link("Solutions", pages["solutions"])),
            ("link", link("Customers", case_study_index)),
            ("link", link("Resources", whitepaper_index)),
            ("link", link("Pricing", pages["pricing"])),
        ]
        site_settings.header_call_to_action = [("link", link("Book a demo", pages["contact-sales"]))]
        site_settings.footer_columns = [
            (
                "column",
                {
                    "heading": "Product",
                    "links": [
                        link("Platform", pages["platform"]),
                        link("Pricing", pages["pricing"]),
                        link("Security", pages["security"]),
                    ],
                },
            ),
            (
                "column",
                {
                    "heading": "Resources",
                    "links": [link("Whitepapers", whitepaper_index), link("Customer stories", case_study_index)],
                },
            ),
            (
                "column",
                {
                    "heading": "Company",
                    "links": [link("About", pages["about"]), link("Contact sales", pages["contact-sales"])],
                },
            ),
        ]
        site_settings.footer_text = "Northwind Signal Ltd · Rua Example 12, Lisbon · VAT PT000000000"
        site_settings.social_links = [
            ("social", {"network": "linkedin", "url": "https://www.linkedin.com/company/northwind-signal-example"}),
            ("social", {"network": "youtube", "url": "https://www.youtube.com/@northwind-signal-example"}),
        ]
        site_settings.save()
        self.report.add("site settings")

    # --- the demo superuser ---
    def demo_user(self):
        if not settings.DEMO_USER_ENABLED:
            self.report.user_skipped_reason = "DEMO_USER_ENABLED is off (always off in production settings)"
            return
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            return
        User.objects.create_superuser(DEMO_USERNAME, "admin@northwind-signal.example", DEMO_PASSWORD)
        self.report.user_created = True


def _slugify(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text)[:60]
