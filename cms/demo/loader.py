"""Builds the demo site. Idempotent: every object is looked up by its natural key (slug, name,
title) first and only created when missing; existing objects are never changed, so a second run
leaves an editor's changes alone and creates no duplicates."""

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, Page, Site

from cms.demo import content
from cms.demo.events import DemoEventLoader
from cms.demo.leads import DemoLeadLoader
from cms.demo.media import abstract_image, logo_image, whitepaper_pdf
from cms.demo.personalisation import (
    HOME_VARIANTS,
    PLATFORM_VARIANTS,
    demo_segments,
    page_untouched,
    personalise,
    personalised_hero,
    with_recommended,
)
from cms.models import (
    Author,
    CallToAction,
    CaseStudyIndexPage,
    CaseStudyPage,
    CaseStudyRelatedWhitepaper,
    HomePage,
    Industry,
    Product,
    SiteSettings,
    StandardPage,
    Topic,
    WhitepaperIndexPage,
    WhitepaperPage,
)
from forms.models import ConsentPolicy, LeadFormField, LeadFormPage

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "northwind-demo-2026"
GATED_COLLECTION = "Gated whitepapers"
PUBLIC_COLLECTION = "Whitepapers"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    user_created: bool = False
    user_skipped_reason: str = ""

    def add(self, what: str):
        self.created.append(what)


class DemoLoader:
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

    # --- pages ---
    def home_page(self) -> HomePage:
        home = HomePage.objects.first()
        if home:
            return home
        root = Page.get_first_root_node()
        # Wagtail's installer leaves a plain "Welcome to your new Wagtail site!" page at the
        # root; the demo home page takes its place (and its slug).
        for welcome in root.get_children().filter(depth=2, slug="home"):
            if type(welcome.specific) is Page and not welcome.get_children().exists():
                welcome.delete()
        home = HomePage(
            title="Northwind Signal",
            slug="home",
            seo_title="Northwind Signal: revenue intelligence for B2B teams",
            search_description="One view of every account, every buying signal and every next step "
            "for B2B marketing and sales teams.",
        )
        root.add_child(instance=home)
        home.save_revision().publish()
        base = urlparse(settings.WAGTAILADMIN_BASE_URL)
        site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
        site.hostname = base.hostname or "localhost"
        site.port = base.port or (443 if base.scheme == "https" else 80)
        site.site_name = "Northwind Signal"
        site.root_page = home
        site.save()
        self.report.add("home page and site")
        return home

    def child(self, parent, model, slug, relations=None, **fields):
        """The child page with this slug; created and published (one revision) when missing."""
        existing = parent.get_children().filter(slug=slug).first()
        if existing:
            return existing.specific, False
        page = model(slug=slug, **fields)
        for name, values in (relations or {}).items():
            setattr(page, name, values)  # modelcluster keeps these until the page is saved
        parent.add_child(instance=page)
        page.save_revision().publish()
        self.report.add(f"{model._meta.verbose_name} {fields.get('title', slug)}")
        return page, True

    def official_hero(self, spec):
        return [
            (
                "hero",
                {
                    "headline": spec["title"],
                    "subhead": spec["intro"],
                    "image": self.hero_image,
                    "call_to_action": {
                        "label": "Book a demo",
                        "page": None,
                        "url": "https://northwind-signal.example/demo",
                    },
                },
            )
        ]

    def official_body(self, spec):
        body = [("rich_text", "".join(f"<h2>{h}</h2><p>{t}</p>" for h, t in spec["sections"]))]
        if spec["metrics"]:
            body.append(
                ("metrics", {"heading": "", "metrics": [{"value": v, "label": label} for v, label in spec["metrics"]]})
            )
        if spec.get("faq"):
            body.append(
                (
                    "faq",
                    {
                        "heading": "Frequently asked questions",
                        "items": [{"question": q, "answer": f"<p>{a}</p>"} for q, a in spec["faq"]],
                    },
                )
            )
        return body

    def official_pages(self, home) -> dict:
        pages = {}
        for spec in content.OFFICIAL_PAGES:
            page, _ = self.child(
                home,
                StandardPage,
                spec["slug"],
                title=spec["title"],
                intro=spec["intro"],
                hero=self.official_hero(spec),
                body=self.official_body(spec),
                show_in_menus=True,
            )
            pages[spec["slug"]] = page
        return pages

    def index_page(self, home, model, slug, title, intro):
        page, _ = self.child(home, model, slug, title=title, intro=intro, show_in_menus=True)
        return page

    def lead_form(self, home, slug, *, purpose, spec, submit_label, show_in_menus=False):
        """A marketer-built form page with mapped fields, as made in the admin's form builder."""
        fields = [
            LeadFormField(
                sort_order=order,
                label=label,
                field_type=kind,
                maps_to=maps_to,
                required=required,
                progressive=progressive,
                choices=choices,
            )
            for order, (label, kind, maps_to, required, progressive, choices) in enumerate(spec["fields"])
        ]
        page, _ = self.child(
            home,
            LeadFormPage,
            slug,
            title=spec["title"],
            purpose=purpose,
            intro=spec["intro"],
            thank_you_text=spec["thank_you"],
            submit_label=submit_label,
            show_in_menus=show_in_menus,
            confirmation_subject=f"{spec['title']}: thank you",
            to_address="sales@northwind-signal.example" if purpose == "contact_sales" else "",
            subject=f"New submission: {spec['title']}",
            relations={"form_fields": fields},
        )
        if spec.get("earlier_thank_you") and page.thank_you_text == spec["earlier_thank_you"]:
            # The demo's earlier wording said twice that the link was emailed; untouched, it is replaced.
            page.thank_you_text = spec["thank_you"]
            page.save_revision().publish()
        return page

    def consent_policies(self):
        # EU/EEA, UK and "everywhere else" ship as defaults (a data migration); the demo adds a notice country.
        for country, show, required, text in content.CONSENT_POLICIES:
            _, created = ConsentPolicy.objects.get_or_create(
                country=country, defaults={"show_checkbox": show, "opt_in_required": required, "text": text}
            )
            if created:
                self.report.add(f"consent policy {country}")

    def whitepapers(self, index, *, gate_form) -> dict:
        gated_collection = self.collection(GATED_COLLECTION, private=True)
        public_collection = self.collection(PUBLIC_COLLECTION, private=False)
        authors = list(Author.objects.order_by("pk"))
        result = {}
        for number, (title, slug, summary, topics, industries, author_index, gated) in enumerate(content.WHITEPAPERS):
            existing = index.get_children().filter(slug=slug).first()
            if existing:
                result[slug] = existing.specific
                continue
            author = authors[author_index % len(authors)]
            pdf, page_count = whitepaper_pdf(title, summary, content.WHITEPAPER_SECTIONS, author=author.name)
            document = self.Document.objects.filter(title=title).first()
            if document is None:
                document = self.Document(title=title, collection=gated_collection if gated else public_collection)
                document.file.save(f"{slug}.pdf", ContentFile(pdf), save=False)
                document.save()
            page, _ = self.child(
                index,
                WhitepaperPage,
                slug,
                title=title,
                summary=summary,
                cover_image=self.image(f"{title} cover", size=(1600, 900)),
                document=document,
                page_count=page_count,
                gated=gated,
                gate_form=gate_form if gated else None,
                relations={
                    "topics": list(Topic.objects.filter(slug__in=topics)),
                    "industries": list(Industry.objects.filter(slug__in=industries)),
                    "authors": [author],
                },
                publish_date=date(2026, 10, 1) - timedelta(days=23 * number),
                body=[
                    (
                        "rich_text",
                        "<h2>What you'll learn</h2><ul>"
                        + "".join(f"<li>{heading}</li>" for heading, _ in content.WHITEPAPER_SECTIONS)
                        + "</ul>",
                    )
                ],
            )
            result[slug] = page
        return result

    def case_studies(self, index, whitepapers):
        whitepaper_list = list(whitepapers.values())
        for number, row in enumerate(content.CASE_STUDIES):
            (customer, slug, industry, size, region, products, topics, title, metrics, quote, person, job) = row
            if index.get_children().filter(slug=slug).exists():
                continue
            page, _ = self.child(
                index,
                CaseStudyPage,
                slug,
                title=title,
                customer_name=customer,
                customer_logo=self.image(customer, logo=True),
                cover_image=self.image(f"{customer} story", size=(1600, 900)),
                summary=f"{metrics[0][0]} {metrics[0][1]} and {metrics[1][0]} {metrics[1][1]}: "
                f"how {customer} works with Northwind Signal.",
                industry=Industry.objects.get(slug=industry),
                company_size_band=size,
                region=region,
                publish_date=date(2026, 9, 15) - timedelta(days=19 * number),
                challenge=f"<p>{customer}'s marketing and sales teams worked from different lists. "
                "Leads waited days for a response and nobody could say which campaigns created pipeline.</p>",
                solution="<p>Northwind Signal unified their data, introduced fit and interest scoring "
                "the sales team helped design, and routed every qualified lead within minutes.</p>",
                results=f"<p>Within two quarters {customer} saw measurable gains in speed, quality "
                "and pipeline, and both teams now review the same dashboard every Monday.</p>",
                key_metrics=[("metric", {"value": v, "label": label}) for v, label in metrics],
                quote=quote,
                quote_person=person,
                quote_job_title=job,
                relations={
                    "products_used": list(Product.objects.filter(slug__in=products)),
                    "topics": list(Topic.objects.filter(slug__in=topics)),
                    "related_whitepapers": [
                        CaseStudyRelatedWhitepaper(
                            whitepaper=whitepaper_list[(number + offset) % len(whitepaper_list)], sort_order=offset
                        )
                        for offset in range(2)
                    ],
                },
            )

    def home_hero(self):
        """The demo's plain home hero: the personalised hero's default."""
        return [
            (
                "hero",
                {
                    "headline": "Turn every buying signal into pipeline",
                    "subhead": "Northwind Signal unifies your CRM, website and product data, scores every account "
                    "and routes the right leads to the right rep in seconds.",
                    "image": self.hero_image,
                    "call_to_action": {
                        "label": "Book a demo",
                        "page": Page.objects.filter(slug="contact-sales").first(),
                        "url": "",
                    },
                },
            )
        ]

    def home_body(self):
        """The demo's home body as first published (before personalisation added a recommendation block)."""
        cta = CallToAction.objects.order_by("pk").first()
        body = [
            (
                "logo_cloud",
                {
                    "heading": "Trusted by revenue teams at",
                    "logos": [{"name": image.title, "logo": image, "url": ""} for image in self.logos],
                },
            ),
            (
                "metrics",
                {
                    "heading": "What customers see in the first two quarters",
                    "metrics": [
                        {"value": "42%", "label": "more qualified pipeline"},
                        {"value": "3x", "label": "faster speed to lead"},
                        {"value": "-45%", "label": "fewer rejected MQLs"},
                    ],
                },
            ),
            (
                "card_grid",
                {
                    "heading": "Latest research",
                    "source": "whitepapers",
                    "topic": None,
                    "industry": None,
                    "limit": 3,
                    "cards": [],
                },
            ),
            (
                "quote",
                {
                    "quote": "We finally have one list of who to call, and compliance signed it off in a week.",
                    "person": "Laura Chen",
                    "job_title": "Head of Commercial Banking Growth",
                    "company": "Meridian Bank",
                    "photo": None,
                },
            ),
            (
                "card_grid",
                {
                    "heading": "Customer stories",
                    "source": "case_studies",
                    "topic": None,
                    "industry": None,
                    "limit": 3,
                    "cards": [],
                },
            ),
            (
                "video",
                {
                    "url": "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
                    "title": "Northwind Signal in two minutes",
                    "poster": self.hero_image,
                    "caption": "A two-minute tour of the platform",
                },
            ),
            (
                "faq",
                {
                    "heading": "Frequently asked questions",
                    "items": [
                        {
                            "question": "How long does implementation take?",
                            "answer": (
                                "<p>Most teams are live in two to four weeks, including CRM sync and scoring.</p>"
                            ),
                        },
                        {
                            "question": "Which CRMs do you integrate with?",
                            "answer": (
                                "<p>Salesforce, HubSpot and Microsoft Dynamics, plus a REST API and webhooks.</p>"
                            ),
                        },
                    ],
                },
            ),
        ]
        if cta:
            body.append(("call_to_action", {"call_to_action": cta, "style": "banner"}))
        return body

    def fill_home_body(self, home):
        if home.body:
            return  # the editor's home page is theirs once it has content
        home.hero, home.body = self.home_hero(), self.home_body()
        self.personalise_home(home)
        home.save_revision().publish()
        self.report.add("home page content")

    # --- personalisation: segments (see taxonomies) and the pages that show variants ---
    def cta_targets(self, pages, whitepaper_index, case_study_index) -> dict:
        story = case_study_index.get_children().filter(slug="meridian-bank").first()
        return {
            "contact-sales": pages.get("contact-sales"),
            "pricing": pages.get("pricing"),
            "whitepapers": whitepaper_index,
            "meridian-bank": story,
        }

    def personalise_home(self, home) -> bool:
        original_hero, original_body = self.home_hero(), self.home_body()
        return personalise(
            home,
            original_hero=original_hero,
            original_body=original_body,
            new_hero=personalised_hero(
                "Home hero",
                original_hero[0],
                HOME_VARIANTS,
                segments=self.segments,
                image=self.hero_image,
                targets=self.targets,
            ),
            new_body=with_recommended(original_body, after="card_grid", source="both"),
        )

    def personalise_platform(self, page) -> bool:
        spec = next(spec for spec in content.OFFICIAL_PAGES if spec["slug"] == "platform")
        original_hero, original_body = self.official_hero(spec), self.official_body(spec)
        return personalise(
            page,
            original_hero=original_hero,
            original_body=original_body,
            new_hero=personalised_hero(
                "Platform hero",
                original_hero[0],
                PLATFORM_VARIANTS,
                segments=self.segments,
                image=self.hero_image,
                targets=self.targets,
            ),
            new_body=with_recommended(original_body, after="rich_text", source="whitepapers"),
        )

    def personalised_pages(self, home, pages):
        """Personalise the home and platform pages of a demo loaded before personalisation existed (a new
        home page got it in fill_home_body): only fields still exactly as the demo published them."""
        for page, personalise_page in (
            (home, self.personalise_home),
            (pages.get("platform"), self.personalise_platform),
        ):
            if page is None:
                continue
            page = type(page).objects.get(pk=page.pk)  # as stored: a page just published here is stale in memory
            if page_untouched(page) and personalise_page(page):
                page.save_revision().publish()
                self.report.add(f"personalised content on {page.title}")

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
