"""The demo lead base: sales reps, default scoring rules, a competitor list, and a few hundred people
at a few dozen companies with 90 days of activity, captured through the real pipeline (cleaning,
identity, scoring, stages, routing), so a newcomer sees the lead store working at once.

Deterministic (seeded) and loaded once: if the lead store already has people, nothing is added.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.models import Company, Interaction, LeadStoreSettings, Person, SalesRep, ScoringRule
from leads.services import lead_capture, people_rescore_all, sales_accept, sales_mark, sales_reject

SALES_USERS = [
    # username, first, last, team, territories, weight
    ("sara.keller", "Sara", "Keller", "Inbound", "DE,AT,CH", 1),
    ("tom.hughes", "Tom", "Hughes", "Inbound", "GB,IE,US", 2),
    ("lena.moreau", "Lena", "Moreau", "Inbound", "FR,BE,NL", 1),
    ("omar.haddad", "Omar", "Haddad", "Inbound", "", 1),
]
FIT_RULES = [
    ("Target industry", "company__industry", "in", "banking,insurance,healthcare,manufacturing", 20),
    ("Mid-market and up", "company__employee_count", "gte", "250", 15),
    ("Enterprise", "company__employee_count", "gte", "5000", 10),
    ("Decision maker", "seniority", "in", "c_level,vp,director", 20),
    ("Core markets", "country", "in", "DE,AT,CH,GB,FR,NL", 10),
    ("Revenue or marketing role", "job_title", "contains", "marketing,revenue,sales,growth,demand", 5),
    ("Personal email", "is_personal_email", "is_true", "", -15),
    ("Competitor", "is_competitor", "is_true", "", -100),
    ("Student", "seniority", "in", "student", -30),
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
FIRST_NAMES = ["Anna", "Ben", "Chloé", "David", "Elif", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Luca",
               "Mara", "Nils", "Olivia", "Paul", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wim", "Yara", "Zoe"]
LAST_NAMES = ["Becker", "Clarke", "Dubois", "Evans", "Fischer", "García", "Hansen", "Ivanova", "Jansen", "Klein",
              "Laurent", "Meyer", "Novak", "O'Brien", "Peeters", "Quinn", "Richter", "Silva", "Thomas", "Vogel"]
TITLES = ["VP Marketing", "Head of Demand Generation", "Chief Revenue Officer", "Marketing Manager",
          "Sales Director", "Revenue Operations Lead", "Data Analyst", "Software Engineer", "CFO",
          "Growth Marketing Manager", "Head of Sales", "Student"]
WHITEPAPERS = ["state-of-revops-2026", "explainable-ai-lead-scoring", "data-governance-for-marketing",
               "abm-regulated-industries", "speed-to-lead", "manufacturing-sales-modernisation"]
PASSWORD = "northwind-demo-2026"


class DemoLeadLoader:
    def __init__(self, report):
        self.report = report
        self.rng = random.Random(2026)
        self.now = timezone.now()

    def load(self):
        self.settings_and_rules()
        reps = self.sales_team()
        if Person.objects.exists():
            return  # the lead store has data already: never add demo people to it
        self.companies()
        self.people()
        self.junk()
        people_rescore_all()
        self.sales_feedback(reps)
        self.report.add(f"lead store: {Person.objects.count()} people")

    def settings_and_rules(self):
        store = LeadStoreSettings.load()
        if not store.competitor_domains:
            store.competitor_domains = "rivalsignals.io\npipelinepro.com"
            store.save()
        if not ScoringRule.objects.exists():
            ScoringRule.objects.bulk_create(
                [ScoringRule(name=n, kind="fit", attribute=a, operator=o, value=v, points=p)
                 for n, a, o, v, p in FIT_RULES]
                + [ScoringRule(name=n, kind="interest", interaction_type=t, points=p, **extra)
                   for n, t, p, extra in INTEREST_RULES]
            )
            self.report.add("scoring rules")

    def sales_team(self):
        if not settings.DEMO_USER_ENABLED:
            return []
        User = get_user_model()
        reps = []
        for username, first, last, team, territories, weight in SALES_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, f"{username}@northwind-signal.example", PASSWORD,
                                                first_name=first, last_name=last)
                self.report.add(f"sales user {username}")
            rep, _ = SalesRep.objects.get_or_create(
                user=user, defaults={"team": team, "territories": territories, "weight": weight}
            )
            reps.append(rep)
        return reps

    def companies(self):
        owners = list(SalesRep.objects.select_related("user"))
        for name, domain, industry, employees, country, key_account in COMPANIES:
            company = Company.objects.create(
                name=name, name_key=name.lower(), industry=industry, employee_count=employees, country=country,
                is_key_account=key_account, owner=owners[0].user if key_account and owners else None,
            )
            company.domains.create(domain=domain)

    def capture(self, email, *, days_ago, kind="content_download", jitter=True, whitepaper=None, **fields):
        return lead_capture(
            source="form",
            payload={"email": email, **fields},
            origin_type="content" if kind == "content_download" else "form",
            origin_id=(whitepaper or self.rng.choice(WHITEPAPERS)) if kind == "content_download" else "contact-sales",
            origin_label="Whitepaper download" if kind == "content_download" else "Contact sales",
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
                email, days_ago=days_ago, kind=kind, first_name=first, last_name=last, company=company[0],
                job_title=rng.choice(TITLES), country=company[4], phone=rng.choice(["", "+49 30 901820", ""]),
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
                Interaction.objects.create(
                    person_id=lead.person_id, type=kind, occurred_at=self.now - timedelta(days=rng.uniform(0, 90)),
                    object_type="page" if kind == "page_view" else "event",
                    object_id="pricing" if kind == "page_view" and rng.random() < 0.15 else "",
                )
            if rng.random() < 0.15:  # a returning visitor downloads something else
                self.capture(email, days_ago=rng.uniform(0, days_ago), first_name=first, last_name=last)

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
            self.capture("anna.becker@meridian-bank.de", days_ago=days_ago, jitter=False, first_name="Anna",
                         last_name="Becker", whitepaper="speed-to-lead")

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
                sales_reject(person, actor=actor, reason=rng.choice(["No budget this year", "Wrong contact",
                                                                      "Already using a competitor"]))
