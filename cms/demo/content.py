"""The demo company's words: a B2B revenue-intelligence vendor, Northwind Signal."""

INDUSTRIES = [
    ("Banking & Financial Services", "banking"),
    ("Healthcare", "healthcare"),
    ("Manufacturing", "manufacturing"),
    ("Software & SaaS", "software"),
    ("Retail & E-commerce", "retail"),
    ("Logistics", "logistics"),
]

TOPICS = [
    ("Revenue operations", "revenue-operations"),
    ("AI & automation", "ai-automation"),
    ("Data governance", "data-governance"),
    ("Security & compliance", "security-compliance"),
    ("Customer experience", "customer-experience"),
    ("Account-based marketing", "abm"),
]

PRODUCTS = [
    ("Signal Analytics", "signal-analytics"),
    ("Signal Routing", "signal-routing"),
    ("Signal Connect", "signal-connect"),
]

AUTHORS = [
    ("Priya Raman", "VP Research"),
    ("Tomás Ortega", "Principal Analyst, Revenue Operations"),
    ("Hannah Becker", "Head of Data Governance"),
    ("Kwame Mensah", "Director, Security & Compliance"),
]

CALLS_TO_ACTION = [
    {
        "title": "See Northwind Signal on your own data",
        "text": "A 30-minute walkthrough with a solutions engineer, tailored to your funnel.",
        "button_label": "Book a demo",
        "page_slug": "contact-sales",
    },
    {
        "title": "Talk to sales",
        "text": "Pricing, security reviews, procurement: we answer within one business day.",
        "button_label": "Contact sales",
        "page_slug": "contact-sales",
    },
]

OFFICIAL_PAGES = [
    {
        "slug": "platform",
        "title": "The revenue intelligence platform",
        "intro": "Every account, every buying signal and every next step in one place, "
        "so marketing and sales work the same list.",
        "sections": [
            (
                "Unify your signals",
                "Connect your CRM, website, product usage and intent data in minutes. "
                "Northwind Signal resolves people and companies into one record with a full history.",
            ),
            (
                "Score what matters",
                "Fit and interest scores, explained line by line, with decay that "
                "keeps last quarter's webinar from outranking yesterday's pricing-page visit.",
            ),
            (
                "Route in real time",
                "Weighted, availability-aware round-robin and territories send every "
                "qualified lead to the right rep within seconds.",
            ),
        ],
        "metrics": [
            ("42%", "more pipeline from the same traffic"),
            ("3x", "faster lead response"),
            ("99.95%", "uptime SLA"),
        ],
    },
    {
        "slug": "solutions",
        "title": "Solutions for every revenue team",
        "intro": "Marketing, sales development and revenue operations get the same truth, "
        "shaped for the way they work.",
        "sections": [
            (
                "For marketing",
                "Prove which content creates pipeline, not just clicks. Gated content, events "
                "and campaigns all report into the same funnel.",
            ),
            ("For sales", "Start every day with a prioritised list and the full story of each account on one screen."),
            (
                "For revenue operations",
                "Change scoring, routing and stages without a ticket to IT, with "
                "every change versioned and reversible.",
            ),
        ],
        "metrics": [],
    },
    {
        "slug": "pricing",
        "title": "Simple pricing that grows with you",
        "intro": "Start with the essentials and add seats and modules as your team grows. "
        "Every plan includes unlimited contacts.",
        "sections": [
            (
                "Team",
                "For growing teams: scoring, routing, gated content and up to 10 seats. "
                "From €1,200 per month, billed annually.",
            ),
            (
                "Business",
                "For multi-team revenue organisations: territories, custom stages, SSO and "
                "a dedicated success manager.",
            ),
            (
                "Enterprise",
                "For regulated and global companies: data residency, audit exports, custom contracts and 24/7 support.",
            ),
        ],
        "metrics": [],
        "faq": [
            ("Is there a free trial?", "Yes: 14 days on your own data, no credit card required."),
            ("Do you charge per contact?", "No. Every plan includes unlimited contacts and companies."),
            (
                "Where is my data stored?",
                "In the EU (Frankfurt) or the US (Virginia), your choice. Enterprise plans can choose other regions.",
            ),
        ],
    },
    {
        "slug": "about",
        "title": "About Northwind Signal",
        "intro": "We started Northwind Signal in 2019 because our own sales and marketing teams "
        "argued about whose list was right. Now 600 companies work from one.",
        "sections": [
            (
                "Our mission",
                "Make every B2B conversation start from what the customer actually did and needs, not from a guess.",
            ),
            (
                "How we work",
                "Remote-first across Lisbon, Berlin and Toronto. Customer-funded, "
                "profitable, and deliberately boring about security.",
            ),
        ],
        "metrics": [("600+", "customers"), ("38", "countries"), ("120", "people")],
    },
    {
        "slug": "security",
        "title": "Security and trust",
        "intro": "ISO 27001 certified, SOC 2 Type II audited, GDPR-ready by design.",
        "sections": [
            ("Certifications", "ISO 27001:2022 and SOC 2 Type II reports are available under NDA."),
            (
                "Data protection",
                "Encryption in transit and at rest, EU data residency, a published "
                "sub-processor list and a data processing agreement in every contract.",
            ),
            (
                "Responsible disclosure",
                "Report a vulnerability to security@northwind-signal.example; we answer within 24 hours.",
            ),
        ],
        "metrics": [],
    },
]

WHITEPAPER_SECTIONS = [
    (
        "Executive summary",
        "Revenue teams that share one definition of a qualified lead grow pipeline "
        "faster than those that do not. In our survey of 412 B2B companies, the difference was 27 "
        "percentage points of year-on-year growth.\n\nThis paper explains what those teams do "
        "differently, and how to start.",
    ),
    (
        "Where the funnel leaks",
        "Most leads are lost between marketing and sales: slow routing, unclear "
        "ownership and scores nobody trusts. Half of all inbound leads in our sample waited more than "
        "a day for a first response.",
    ),
    (
        "A practical framework",
        "Start with fit: the companies and roles you can serve. Add interest: "
        "what they did, recently. Agree the threshold for a hand-off, and measure stage velocity "
        "every week.\n\nThen automate the boring parts: enrichment, de-duplication and routing.",
    ),
    (
        "Checklist",
        "One owner per lead. One definition of an MQL. A response-time target under one "
        "hour. A weekly review of rejected leads with reasons.",
    ),
]

WHITEPAPERS = [
    (
        "The State of B2B Revenue Operations 2026",
        "state-of-revops-2026",
        "Benchmarks from 412 B2B companies on pipeline, conversion and speed to lead.",
        ["revenue-operations"],
        ["software", "banking"],
        0,
        True,
    ),
    (
        "AI Lead Scoring Without the Black Box",
        "explainable-ai-lead-scoring",
        "How to build fit and interest scores your sales team trusts, with explanations for every point.",
        ["ai-automation", "revenue-operations"],
        ["software"],
        0,
        True,
    ),
    (
        "Data Governance for Marketing Teams",
        "data-governance-for-marketing",
        "Consent, retention and data quality rules that keep your CRM clean and your lawyers calm.",
        ["data-governance", "security-compliance"],
        ["banking", "healthcare"],
        2,
        True,
    ),
    (
        "Account-Based Marketing in Regulated Industries",
        "abm-regulated-industries",
        "Running ABM programmes when every message needs a compliance review.",
        ["abm"],
        ["banking", "healthcare"],
        1,
        True,
    ),
    (
        "Speed to Lead: The One-Hour Rule",
        "speed-to-lead",
        "Why leads contacted within an hour convert seven times better, and how to get there.",
        ["revenue-operations", "customer-experience"],
        ["retail", "software"],
        1,
        False,
    ),
    (
        "Modernising Manufacturing Sales",
        "manufacturing-sales-modernisation",
        "From distributor spreadsheets to a shared pipeline: a playbook for industrial companies.",
        ["revenue-operations", "ai-automation"],
        ["manufacturing", "logistics"],
        3,
        True,
    ),
    (
        "Security Questionnaires, Answered",
        "security-questionnaires-answered",
        "A field guide for sales engineers: answer security reviews in days, not weeks.",
        ["security-compliance"],
        ["software", "healthcare"],
        3,
        False,
    ),
    (
        "The Customer Experience Dividend",
        "customer-experience-dividend",
        "Quantifying what a consistent buyer journey is worth across marketing, sales and success.",
        ["customer-experience"],
        ["retail", "logistics"],
        2,
        True,
    ),
]

CASE_STUDIES = [
    (
        "Meridian Bank",
        "meridian-bank",
        "banking",
        "5000+",
        "emea",
        ["signal-analytics", "signal-routing"],
        ["revenue-operations", "security-compliance"],
        "How Meridian Bank cut lead response time from two days to 40 minutes",
        [("40 min", "median first response"), ("+31%", "qualified pipeline"), ("0", "compliance findings")],
        "We finally have one list of who to call, and compliance signed it off in a week.",
        "Laura Chen",
        "Head of Commercial Banking Growth",
    ),
    (
        "Atlas Health",
        "atlas-health",
        "healthcare",
        "1000-4999",
        "na",
        ["signal-analytics"],
        ["data-governance", "customer-experience"],
        "Atlas Health unified 14 data sources into one view of every hospital account",
        [("14", "sources unified"), ("-62%", "duplicate records"), ("2.4x", "event-to-meeting rate")],
        "Our reps stopped arguing with the data and started using it.",
        "Marcus Reid",
        "VP Sales Operations",
    ),
    (
        "Kestrel Manufacturing",
        "kestrel-manufacturing",
        "manufacturing",
        "1000-4999",
        "emea",
        ["signal-routing", "signal-connect"],
        ["revenue-operations", "ai-automation"],
        "Kestrel moved 300 distributors from spreadsheets to a shared pipeline",
        [("300", "distributors onboarded"), ("+18%", "win rate"), ("5 days", "to go live per region")],
        "Territories that used to take a quarter to change now take an afternoon.",
        "Anja Novak",
        "Director of Channel Sales",
    ),
    (
        "Brightline Software",
        "brightline-software",
        "software",
        "250-999",
        "na",
        ["signal-analytics", "signal-routing"],
        ["ai-automation", "abm"],
        "Brightline doubled demo bookings with explainable lead scoring",
        [("2x", "demo bookings"), ("-45%", "rejected MQLs"), ("11 days", "shorter sales cycle")],
        "Sales trusts the score because they can see why it's high.",
        "Devon Park",
        "Head of Demand Generation",
    ),
    (
        "Parcelo Logistics",
        "parcelo-logistics",
        "logistics",
        "5000+",
        "emea",
        ["signal-connect"],
        ["customer-experience", "revenue-operations"],
        "Parcelo routes 20,000 inbound requests a month to the right depot team",
        [
            ("20k", "requests routed monthly"),
            ("98%", "routed without manual triage"),
            ("4 min", "average routing time"),
        ],
        "Every request lands with a team that can actually answer it.",
        "Sofia Almeida",
        "Head of Customer Operations",
    ),
    (
        "Harbour & Finch",
        "harbour-and-finch",
        "retail",
        "250-999",
        "emea",
        ["signal-analytics"],
        ["customer-experience", "abm"],
        "Harbour & Finch turned wholesale buyers' content downloads into a qualified pipeline",
        [("+52%", "wholesale pipeline"), ("3x", "content-to-meeting conversion"), ("6 weeks", "payback")],
        "We can see which lookbook a buyer read before the first call.",
        "Oliver Grant",
        "Wholesale Director",
    ),
    (
        "Northgate Insurance",
        "northgate-insurance",
        "banking",
        "1000-4999",
        "na",
        ["signal-routing"],
        ["security-compliance", "data-governance"],
        "Northgate Insurance enforced consent rules across 12 broker channels",
        [("12", "broker channels governed"), ("100%", "consent captured"), ("-70%", "manual audits")],
        "Consent is recorded once and respected everywhere, automatically.",
        "Rachel Okafor",
        "Chief Data Officer",
    ),
    (
        "Vireo Diagnostics",
        "vireo-diagnostics",
        "healthcare",
        "50-249",
        "apac",
        ["signal-analytics", "signal-connect"],
        ["abm", "revenue-operations"],
        "Vireo Diagnostics built an ABM programme for 400 target laboratories",
        [("400", "target accounts"), ("+64%", "engaged accounts"), ("9", "new enterprise deals")],
        "A small team now runs an account-based programme that looks like a big one.",
        "Ken Watanabe",
        "Marketing Lead, APAC",
    ),
]

CUSTOMER_LOGOS = ["Meridian Bank", "Atlas Health", "Kestrel", "Brightline", "Parcelo", "Northgate"]


# The questions every demo form starts with: label, type, saved as, required, progressive, choices.
WHO_YOU_ARE = [
    ("Work email", "email", "email", True, False, ""),
    ("First name", "singleline", "first_name", True, False, ""),
    ("Last name", "singleline", "last_name", True, False, ""),
    ("Company", "singleline", "company", True, False, ""),
    ("Country", "dropdown", "country", True, False, ""),
]

# The contact-sales page is a form page (see lead forms below), not a standard page.
CONTACT_SALES = {
    "title": "Contact sales",
    "intro": "<p>Tell us about your team and we'll get back to you within one business day. A solutions "
    "engineer reviews your message, then we book a call at a time that suits you. No sales sequences, no spam.</p>",
    "thank_you": "<p>Thanks! A solutions engineer will reply within one business day.</p>",
    "fields": [
        *WHO_YOU_ARE,
        ("Phone", "singleline", "phone", False, False, ""),
        ("Team size", "dropdown", "employee_band", False, False, ""),
        ("How can we help?", "multiline", "", True, False, ""),
    ],
}
WHITEPAPER_GATE = {
    "title": "Get the whitepaper",
    "slug": "get-the-whitepaper",
    "intro": "",
    # The panel adds the download link and says it was emailed; the thank-you text doesn't repeat either.
    "thank_you": "<p>Enjoy the read.</p>",
    "earlier_thank_you": "<p>Enjoy the read. We've emailed you the link too.</p>",  # demos loaded before
    "fields": [
        *WHO_YOU_ARE,
        # Progressive: asked of known visitors, two per visit, until answered.
        ("Job title", "singleline", "job_title", False, True, ""),
        ("Company size", "dropdown", "employee_band", False, True, ""),
        ("Phone", "singleline", "phone", False, True, ""),
        (
            "Industry",
            "dropdown",
            "industry",
            False,
            True,
            "banking\nhealthcare\nmanufacturing\nsoftware\nretail\nlogistics\nother",
        ),
    ],
}
# Countries outside the EU/EEA and UK defaults: a notice is enough in the US.
CONSENT_POLICIES = [
    (
        "US",
        False,
        False,
        "We'll occasionally email you research and event invitations. Every email has an "
        "unsubscribe link, and our privacy notice explains how we use your details.",
    ),
]
