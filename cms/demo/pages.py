"""The demo site's pages, made by DemoLoader (cms.demo.loader): the home page and the site, the
official pages (platform, solutions, pricing and the rest), the lead forms marketers build (contact
sales and the whitepaper gate) with the consent policies they show, and the content library:
whitepapers with their generated PDFs and customer case studies. Like the rest of the demo, a page is
created (one published revision) only when its parent has no child with its slug."""

from datetime import date, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.core.files.base import ContentFile
from wagtail.models import Page, Site

from cms.demo import content
from cms.demo.media import whitepaper_pdf
from cms.models import (
    Author,
    CaseStudyPage,
    CaseStudyRelatedWhitepaper,
    HomePage,
    Industry,
    Product,
    StandardPage,
    Topic,
    WhitepaperPage,
)
from forms.models import ConsentPolicy, LeadFormField, LeadFormPage

GATED_COLLECTION = "Gated whitepapers"
PUBLIC_COLLECTION = "Whitepapers"


class DemoPages:
    """The pages half of DemoLoader, which provides `report`, `Document`, `hero_image` (see images),
    `image` and `collection` (its media)."""

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
