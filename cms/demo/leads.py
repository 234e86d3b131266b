"""The demo lead base: the sales team (one login per role), default scoring rules, a competitor list,
and a few hundred people at a few dozen companies with 90 days of activity, captured through the real
pipeline (cleaning, identity, scoring, stages, routing), so a newcomer sees the lead store working at once.

Deterministic (seeded). People are loaded once: if the lead store already has people, none are added.
The demo users, their groups and the shared saved filters are topped up on every run, so an older demo
database gets the logins it lacks (nothing is duplicated, nothing existing changed).
"""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.demo.telemarketing import TELEMARKETER_USERNAME, telemarketing_demo
from leads.models import Company, Interaction, LeadStoreSettings, Person, SalesRep, ScoringRule
from leads.services import lead_capture, people_rescore_all, sales_accept, sales_mark, sales_reject
from leads.services.identity import employee_band_for
from sales.roles import (
    ADMINISTRATOR,
    DOOR_STAFF,
    EDITOR,
    MARKETER,
    SALES_MANAGER,
    SALES_REP,
    TELEMARKETER,
    roles_ensure,
)

SALES_USERS = [
    # username, first, last, team, territories, weight (0: the round-robin skips them), role
    ("sara.keller", "Sara", "Keller", "Inbound", "DE,AT,CH", 1, SALES_REP),
    ("tom.hughes", "Tom", "Hughes", "Inbound", "GB,IE,US", 2, SALES_REP),
    ("lena.moreau", "Lena", "Moreau", "Inbound", "FR,BE,NL", 1, SALES_REP),
    ("omar.haddad", "Omar", "Haddad", "Inbound", "BE,NL,NO", 1, SALES_REP),  # shares the Benelux with Lena
    # Enterprise sorts first, so Jonas owns the key accounts (and their people); Nina doesn't see them.
    ("jonas.weber", "Jonas", "Weber", "Enterprise", "", 1, SALES_REP),
    ("nina.berg", "Nina", "Berg", "Inbound", "", 0, SALES_MANAGER),
]
STAFF_USERS = [
    # username, first, last, role: logins without a place in the round-robin
    ("mia.marketing", "Mia", "Lindqvist", MARKETER),
    ("eli.editor", "Eli", "Sandoval", EDITOR),
    ("dora.door", "Dora", "Okafor", DOOR_STAFF),
    (TELEMARKETER_USERNAME, "Tina", "Morales", TELEMARKETER),
]
ADMIN_USERNAME = "admin"  # cms.demo.loader.DEMO_USERNAME, the demo's superuser
# What load_demo prints: one line per role, who to log in as and what they will see.
DEMO_LOGINS = [
    (ADMINISTRATOR, ADMIN_USERNAME, "sees everything, including the audit log of profile views and exports"),
    (
        SALES_MANAGER,
        "nina.berg",
        "sees team Inbound's leads with contact details; not Enterprise's; registers customers for events",
    ),
    (
        SALES_REP,
        "sara.keller",
        "sees only her own leads, contact details masked; registers customers for events; "
        "also tom.hughes, lena.moreau, omar.haddad in Inbound and jonas.weber in Enterprise",
    ),
    (MARKETER, "mia.marketing", "sees everybody in the lead store, scoring, forms and events; no sales actions"),
    (EDITOR, "eli.editor", "pages, images and documents; no lead store"),
    (DOOR_STAFF, "dora.door", "the events and their check-in screens, made for a phone; addresses masked"),
    (TELEMARKETER, TELEMARKETER_USERNAME, "the call queue (Sales -> Call queue) with phone numbers; nothing else"),
]
# Labels for the demo's page views and emails, so a person's timeline tells a story.
PAGES = [
    ("pricing", "Pricing"),
    ("platform", "Platform"),
    ("solutions", "Solutions"),
    ("security", "Security"),
    ("customers", "Customer stories"),
    ("whitepapers", "Whitepapers & research"),
]
EMAILS = ["Newsletter: the RevOps digest", "Webinar invitation", "Your whitepaper: what to read next"]
EVENTS = ["Webinar: scoring leads you can explain", "Breakfast briefing: ABM in banking", "Webinar: the one-hour rule"]
# Company size is scored by the employee band: the demo's forms ask for a band ("Company size", "Team size"),
# and a company known by its head count gets the band of that count (leads.services.identity), so both score.
FIT_RULES = [
    ("Target industry", "company__industry", "in", "banking,insurance,healthcare,manufacturing", 20),
    ("Mid-market and up", "company__employee_band", "in", "250-999,1000-4999,5000+", 15),
    ("Enterprise", "company__employee_band", "in", "5000+", 10),
    ("Decision maker", "seniority", "in", "c_level,vp,director", 20),
    ("Core markets", "country", "in", "DE,AT,CH,GB,FR,NL", 10),
    ("Revenue or marketing role", "job_title", "contains", "marketing,revenue,sales,growth,demand", 5),
    ("Personal email", "is_personal_email", "is_true", "", -15),
    ("Competitor", "is_competitor", "is_true", "", -100),
    ("Student", "seniority", "in", "student", -30),
]
# The size rules as demos loaded before scored them, by head count only: a visitor who gave a band got no size points.
SIZE_RULES_BY_COUNT = [
    ("Mid-market and up", "company__employee_count", "gte", "250"),
    ("Enterprise", "company__employee_count", "gte", "5000"),
]
INTEREST_RULES = [
    ("Whitepaper download", "content_download", 15, {"half_life_days": 30, "cap_points": 45}),
    ("Page view", "page_view", 2, {"half_life_days": 7, "cap_points": 10, "cap_period_days": 7}),
    ("Pricing page", "page_view", 8, {"object_id": "pricing", "half_life_days": 14}),
    ("Webinar registration", "event_registered", 10, {"half_life_days": 45}),
    ("Event attended", "event_attended", 25, {"half_life_days": 60}),
    ("Contact sales", "contact_sales", 40, {"half_life_days": 30}),
    ("Email click", "email_click", 3, {"half_life_days": 14, "cap_points": 15}),
    ("Unsubscribed", "unsubscribe", -40, {}),
]
COMPANIES = [
    # name, domain, industry, employees, country, key account
    ("Meridian Bank", "meridian-bank.de", "banking", 12000, "DE", True),
    ("Atlas Health", "atlashealth.co.uk", "healthcare", 3200, "GB", False),
    ("Kestrel Manufacturing", "kestrel-mfg.com", "manufacturing", 1800, "DE", False),
    ("Brightline Software", "brightline.io", "software", 420, "US", False),
    ("Parcelo Logistics", "parcelo.nl", "logistics", 6500, "NL", False),
    ("Harbour & Finch", "harbourfinch.co.uk", "retail", 380, "GB", False),
    ("Northgate Insurance", "northgate-insurance.com", "insurance", 2400, "US", True),
    ("Vireo Diagnostics", "vireo-dx.com", "healthcare", 140, "FR", False),
    ("Alpine Versicherung", "alpine-vers.ch", "insurance", 900, "CH", False),
    ("Lumen Retail Group", "lumen-retail.fr", "retail", 7400, "FR", False),
    ("Danube Capital", "danube-capital.at", "banking", 650, "AT", False),
    ("Fjord Analytics", "fjord-analytics.no", "software", 60, "NO", False),
    ("Redwood Mutual", "redwoodmutual.com", "insurance", 9800, "US", False),
    ("Castell Pharma", "castell-pharma.de", "healthcare", 2100, "DE", False),
    ("Tidewater Freight", "tidewater-freight.com", "logistics", 1200, "US", False),
    ("Orbis Components", "orbis-components.de", "manufacturing", 5400, "DE", True),
    ("Saffron Foods", "saffronfoods.co.uk", "retail", 230, "GB", False),
    ("Quill Legal", "quill-legal.fr", "legal", 90, "FR", False),
    ("Helix Biotech", "helix-bio.nl", "healthcare", 310, "NL", False),
    ("Granite Bank", "granitebank.ie", "banking", 3900, "IE", False),
    ("Summit Industrial", "summit-industrial.com", "manufacturing", 760, "US", False),
    ("Nordlicht Energie", "nordlicht-energie.de", "energy", 1500, "DE", False),
    ("Pioneer Payments", "pioneer-payments.com", "banking", 520, "GB", False),
    ("Cobalt Insurance", "cobalt-ins.be", "insurance", 1100, "BE", False),
]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Elif",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Luca",
    "Mara",
    "Nils",
    "Olivia",
    "Paul",
    "Rosa",
    "Samir",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Becker",
    "Clarke",
    "Dubois",
    "Evans",
    "Fischer",
    "García",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Klein",
    "Laurent",
    "Meyer",
    "Novak",
    "O'Brien",
    "Peeters",
    "Quinn",
    "Richter",
    "Silva",
    "Thomas",
    "Vogel",
]
TITLES = [
    "VP Marketing",
    "Head of Demand Generation",
    "Chief Revenue Officer",
    "Marketing Manager",
    "Sales Director",
    "Revenue Operations Lead",
    "Data Analyst",
    "Software Engineer",
    "CFO",
    "Growth Marketing Manager",
    "Head of Sales",
    "Student",
]
WHITEPAPERS = [
    "state-of-revops-2026",
    "explainable-ai-lead-scoring",
    "data-governance-for-marketing",
    "abm-regulated-industries",
    "speed-to-lead",
    "manufacturing-sales-modernisation",
]
PASSWORD = "northwind-demo-2026"


class DemoLeadLoader:
    def __init__(self, report):
        self.report = report
        self.rng = random.Random(2026)
        self.now = timezone.now()
        self.whitepaper_pages = {}
        self.labels_given = 0

    def load(self):
        self.settings_and_rules()
        reps = self.sales_team()
        if not Person.objects.exists():  # never add demo people to a lead store that has data
            self.whitepaper_pages = self.whitepapers()
            self.companies()
            self.people()
            self.junk()
            people_rescore_all()
            self.sales_feedback(reps)
            self.report.add(f"lead store: {Person.objects.count()} people")
        self.saved_filters()
        telemarketing_demo(self.report, self.now)

    def settings_and_rules(self):
        store = LeadStoreSettings.load()
        if not store.competitor_domains:
            store.competitor_domains = "rivalsignals.io\npipelinepro.com"
            store.save()
        if not ScoringRule.objects.exists():
            ScoringRule.objects.bulk_create(
                [
                    ScoringRule(name=n, kind="fit", attribute=a, operator=o, value=v, points=p)
                    for n, a, o, v, p in FIT_RULES
                ]
                + [
                    ScoringRule(name=n, kind="interest", interaction_type=t, points=p, **extra)
                    for n, t, p, extra in INTEREST_RULES
                ]
            )
            self.report.add("scoring rules")
        self.size_rules_by_band()

    def size_rules_by_band(self):
        """An earlier demo's size rules, if untouched, score the band instead; its companies get their bands."""
        by_band = {name: (attribute, operator, value) for name, attribute, operator, value, _ in FIT_RULES}
        moved = 0
        for name, attribute, operator, value in SIZE_RULES_BY_COUNT:
            band_attribute, band_operator, bands = by_band[name]
            moved += ScoringRule.objects.filter(
                kind="fit", name=name, attribute=attribute, operator=operator, value=value
            ).update(attribute=band_attribute, operator=band_operator, value=bands)
        if moved:
            for company in Company.objects.filter(employee_band="", employee_count__isnull=False):
                company.employee_band = employee_band_for(company.employee_count)
                company.save(update_fields=["employee_band"])
            people_rescore_all()

    def sales_team(self):
        """One login per role (all with the demo password), the sales reps in the round-robin."""
        if not settings.DEMO_USER_ENABLED:
            return []
        groups = roles_ensure()  # migrate made them; a flushed database (live-server tests) has none
        reps = []
        for username, first, last, team, territories, weight, role in SALES_USERS:
            user = self.user(username, first, last, groups[role])
            rep, _ = SalesRep.objects.get_or_create(
                user=user, defaults={"team": team, "territories": territories, "weight": weight}
            )
            reps.append(rep)
        for username, first, last, role in STAFF_USERS:
            self.user(username, first, last, groups[role])
        admin = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
        if admin is not None:
            admin.groups.add(groups[ADMINISTRATOR])  # a superuser anyway; the group says what the role is
        return reps

    def user(self, username, first, last, group):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username, f"{username}@northwind-signal.example", PASSWORD, first_name=first, last_name=last
            )
            self.report.add(f"demo user {username}")
        user.groups.add(group)  # an existing user gets their role too (adding twice is a no-op)
        return user

    def saved_filters(self):
        """The shared saved filters ("My MQLs this week", a whitepaper's A1-B2), kept by the manager."""
        from sales.saved_filter_demo import saved_filters_demo

        owner = get_user_model().objects.filter(username="nina.berg").first()
        if owner is not None:
            saved_filters_demo(owner)

    def whitepapers(self) -> dict:
        """Slug -> (page id, title): a download is recorded against the whitepaper page, as the real gate
        does, so the whitepaper's lead list (source=content:<page id>) lists its demo leads."""
        from cms.models import WhitepaperPage

        return {
            page.slug: (str(page.pk), page.title)
            for page in WhitepaperPage.objects.filter(slug__in=WHITEPAPERS).only("pk", "slug", "title")
        }

    def companies(self):
        owners = list(SalesRep.objects.select_related("user"))
        for name, domain, industry, employees, country, key_account in COMPANIES:
            company = Company.objects.create(
                name=name,
                name_key=name.lower(),
                industry=industry,
                employee_count=employees,
                employee_band=employee_band_for(employees),
                country=country,
                is_key_account=key_account,
                owner=owners[0].user if key_account and owners else None,
            )
            company.domains.create(domain=domain)

    def capture(self, email, *, days_ago, kind="content_download", jitter=True, whitepaper=None, **fields):
        if kind == "content_download":
            slug = whitepaper or self.rng.choice(WHITEPAPERS)
            origin_id, origin_label = self.whitepaper_pages.get(slug, (slug, "Whitepaper download"))
        else:
            origin_id, origin_label = "contact-sales", "Contact sales"
        return lead_capture(
            source="form",
            payload={"email": email, **fields},
            origin_type="content" if kind == "content_download" else "form",
            origin_id=origin_id,
            origin_label=origin_label,
            visitor_id=f"v_demo{self.rng.randrange(10**10):010d}",
            interaction_type=kind,
            received_at=self.now - timedelta(days=days_ago, minutes=self.rng.randrange(1440) if jitter else 0),
        )

    def people(self):
        rng = self.rng
        for n in range(260):
            company = rng.choice(COMPANIES)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{first}.{last}{n}".lower().replace("'", "").replace("é", "e").replace("í", "i")
            personal = rng.random() < 0.08
            email = f"{local}@{'gmail.com' if personal else company[1]}"
            days_ago = rng.uniform(0, 90)
            kind = "contact_sales" if rng.random() < 0.04 else "content_download"
            lead = self.capture(
                email,
                days_ago=days_ago,
                kind=kind,
                first_name=first,
                last_name=last,
                company=company[0],
                job_title=rng.choice(TITLES),
                country=company[4],
                phone=rng.choice(["", "+49 30 901820", ""]),
                utm_source=rng.choice(["linkedin", "google", "newsletter", ""]),
                utm_campaign=rng.choice(["q3-banking", "revops-report", "webinar-series", ""]),
            )
            if lead.person_id is None:
                continue
            # Browsing before and after the form fill: page views, pricing, emails, events.
            for _ in range(rng.randint(0, 14)):
                kind = rng.choices(
                    ["page_view", "email_click", "event_registered", "event_attended", "unsubscribe"],
                    weights=[70, 15, 8, 5, 2],
                )[0]
                occurred_at = self.now - timedelta(days=rng.uniform(0, 90))
                object_id = "pricing" if kind == "page_view" and rng.random() < 0.15 else ""
                Interaction.objects.create(
                    person_id=lead.person_id,
                    type=kind,
                    occurred_at=occurred_at,
                    object_type={"page_view": "page", "email_click": "email", "unsubscribe": "email"}.get(
                        kind, "event"
                    ),
                    object_id=object_id,
                    object_label=self.story_label(kind, object_id, n),
                )
            if rng.random() < 0.15:  # a returning visitor downloads something else
                self.capture(email, days_ago=rng.uniform(0, days_ago), first_name=first, last_name=last)

    def story_label(self, kind, object_id, n) -> str:
        """What the interaction was about, for the person's timeline. Chosen without self.rng, so the
        demo's people, scores and stages stay the ones they always were."""
        self.labels_given += 1
        turn = n + self.labels_given
        if kind == "page_view":
            return "Pricing" if object_id == "pricing" else PAGES[1 + turn % (len(PAGES) - 1)][1]
        if kind in ("email_click", "unsubscribe"):
            return EMAILS[turn % len(EMAILS)]
        return EVENTS[turn % len(EVENTS)]

    def junk(self):
        for email, extra in [
            ("test@example.com", {"first_name": "Test", "last_name": "Test"}),
            ("asdf@asdf.com", {"first_name": "asdf"}),
            ("jane@mailinator.com", {"first_name": "Jane"}),
            ("spy@rivalsignals.io", {"first_name": "Alex", "company": "Rival Signals"}),
            ("not-an-email", {"first_name": "Nobody"}),
            ("", {"first_name": "Anonymous"}),
            ("real.person@brightline.io", {"first_name": "Real", "phone": "1111111111", "country": "US"}),
            ("<script>alert(1)</script>@x.io", {"first_name": "<b>hi</b>"}),
        ]:
            self.capture(email, days_ago=self.rng.uniform(0, 30), **extra)
        # The same download twice within a quarter of an hour: the second is flagged duplicate.
        for days_ago in (0.02, 0.01):
            self.capture(
                "anna.becker@meridian-bank.de",
                days_ago=days_ago,
                jitter=False,
                first_name="Anna",
                last_name="Becker",
                whitepaper="speed-to-lead",
            )

    def sales_feedback(self, reps):
        """Sales worked some of the MQLs: accepted, rejected, moved on to opportunity and customer."""
        if not reps:
            return
        mqls = list(Person.objects.filter(stage="mql").order_by("pk"))
        rng = self.rng
        for person in mqls:
            actor = person.owner or reps[0].user
            roll = rng.random()
            if roll < 0.25:
                sales_accept(person, actor=actor)
                if rng.random() < 0.5:
                    sales_mark(person, "opportunity", actor=actor, reason="Discovery call booked")
                    if rng.random() < 0.4:
                        sales_mark(person, "customer", reason="Closed won in CRM", from_crm=True)
            elif roll < 0.40:
                sales_reject(
                    person,
                    actor=actor,
                    reason=rng.choice(["No budget this year", "Wrong contact", "Already using a competitor"]),
                )
