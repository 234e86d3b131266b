"""The demo's home page content (hero, logo cloud, metrics, research and story cards, quote, video,
FAQ and a call to action) and the personalised variants the home and platform pages show to the demo's
segments (cms.demo.personalisation), made by DemoLoader (cms.demo.loader). An editor's content is
theirs: the home page is filled only while its body is empty, and a page is personalised only while
its fields are still exactly as the demo published them."""

from wagtail.models import Page

from cms.demo import content
from cms.demo.personalisation import (
    HOME_VARIANTS,
    PLATFORM_VARIANTS,
    page_untouched,
    personalise,
    personalised_hero,
    with_recommended,
)
from cms.models import CallToAction


class DemoHomeContent:
    """The home content and personalisation half of DemoLoader, which provides `report`, `hero_image`
    and `logos` (see images), `segments`, `targets` (see cta_targets) and `official_hero` and
    `official_body` (cms.demo.pages)."""

    # --- the home page's content ---
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
