"""The demo's personalisation: five segments, and personalised heroes and recommended content on the
home page and the platform (product) page, so a newcomer sees variants without building any.

Loaded like the rest of the demo: a segment is created only when no segment has its name, and a
page field is personalised only while it is still exactly what the demo first published (an old
demo database gets personalisation on its next run; an editor's own hero or body is never
overwritten, and once personalised a field no longer matches, so a second run changes nothing).
"""

from django.db import transaction

from personalization.models import Segment, SegmentRule
from personalization.segments import segments_changed

# name, priority (higher wins when a visitor is in several), match, description, rules (fact, operator, value)
SEGMENTS = [
    (
        "Known A-grade",
        50,
        "all",
        "Known people with an A1 or A2 grade: the best-fit accounts, already engaged.",
        [("known", "true", ""), ("grade", "is", "A1,A2")],
    ),
    (
        "Banking campaign",
        40,
        "all",
        "Arrived from the Q4 banking campaign (?utm_campaign=banking-q4).",
        [("utm_campaign", "is", "banking-q4")],
    ),
    (
        "Banking industry",
        30,
        "any",
        "Works at a bank (known person's company), or has read banking content.",
        [("industry", "is", "banking"), ("viewed_industry", "any", "banking")],
    ),
    (
        "Returning visitors",
        20,
        "all",
        "On their second visit or later (a visit ends after 30 idle minutes).",
        [("visit_count", "gte", "2")],
    ),
    ("Mobile visitors", 10, "all", "Browsing on a phone: shorter copy.", [("device", "is", "mobile")]),
]

# The CTA targets below name pages the loader resolves: "contact-sales", "pricing", "whitepapers",
# "meridian-bank" (the banking case study); anything starting with http is an external URL.
HOME_VARIANTS = {
    # segment: (headline, subhead, CTA label, CTA target)
    "Known A-grade": (
        "Your account team is ready when you are",
        "You have been reading up on revenue intelligence. Your account team can show you scoring and "
        "routing set up for a team like yours, on your own data.",
        "Talk to your account team",
        "contact-sales",
    ),
    "Banking campaign": (
        "Revenue intelligence that passes a bank's compliance review",
        "Consent recorded once and respected everywhere, audit-ready routing and EU data residency: "
        "see how banks turn buying signals into pipeline.",
        "Book a banking demo",
        "contact-sales",
    ),
    "Banking industry": (
        "Built for banking and financial services",
        "Meridian Bank cut lead response time from two days to 40 minutes, and compliance signed it off in a week.",
        "Read the Meridian Bank story",
        "meridian-bank",
    ),
    "Returning visitors": (
        "Welcome back: pick up where you left off",
        "New research and customer stories since your last visit, with recommendations based on what you read.",
        "Browse the latest research",
        "whitepapers",
    ),
    "Mobile visitors": (
        "Buying signals, turned into pipeline",
        "Score every account and route every lead in seconds.",
        "Book a demo",
        "contact-sales",
    ),
}
PLATFORM_VARIANTS = {
    "Known A-grade": (
        "See the platform on your own data",
        "Your account team can walk you through scoring, routing and the CRM sync, set up for your accounts.",
        "Talk to your account team",
        "contact-sales",
    ),
    "Banking campaign": (
        "The revenue intelligence platform for banks",
        "Consent-aware scoring, audit-ready routing and EU data residency: what a bank's compliance team "
        "asks about, built in.",
        "Book a banking demo",
        "contact-sales",
    ),
    "Banking industry": (
        "One platform for every banking relationship",
        "Unify CRM, website and product signals for commercial and retail banking teams, with consent "
        "recorded once and respected everywhere.",
        "Read the Meridian Bank story",
        "meridian-bank",
    ),
    "Returning visitors": (
        "Welcome back: ready for a closer look?",
        "Compare plans, or book 30 minutes with a solutions engineer on your own data.",
        "Compare plans",
        "pricing",
    ),
    "Mobile visitors": (
        "Every account, every signal, one place",
        "Scoring, routing and your CRM in one platform.",
        "Book a demo",
        "contact-sales",
    ),
}
RECOMMENDED_HEADING = "Recommended for you"


def demo_segments(report) -> dict:
    """The demo segments by name: existing ones as they are (an editor may have changed them), missing ones created."""
    result, created = {}, False
    for name, priority, match, description, rules in SEGMENTS:
        segment = Segment.objects.filter(name=name).first()
        if segment is None:
            segment = Segment(
                name=name,
                priority=priority,
                match=match,
                description=description,
                rules=[
                    SegmentRule(sort_order=order, fact=fact, operator=operator, value=value)
                    for order, (fact, operator, value) in enumerate(rules)
                ],
            )
            for rule in segment.rules.all():
                rule.parsed()  # a typo in the rules above fails here, not silently on every page
            segment.save()
            report.add(f"segment {name}")
            created = True
        result[name] = segment
    if created:
        # Running servers see the new segments on their next request instead of within a minute.
        transaction.on_commit(segments_changed)
    return result


def hero(headline, subhead, image, label, target):
    """A hero block as StreamField data; target is a page, an external URL, or None (no button)."""
    page, url = (None, target) if isinstance(target, str) else (target, "")
    return (
        "hero",
        {
            "headline": headline,
            "subhead": subhead,
            "image": image,
            "call_to_action": {"label": label if target else "", "page": page, "url": url},
        },
    )


def personalised_hero(name, default, variants, *, segments, image, targets):
    """A personalised hero: the page's own hero as the default, a variant per demo segment that exists."""
    return [
        (
            "personalised_hero",
            {
                "name": name,
                "default": [default],
                "variants": [
                    {
                        "segment": segments[segment],
                        "content": [hero(headline, subhead, image, label, _target(targets, key))],
                    }
                    for segment, (headline, subhead, label, key) in variants.items()
                    if segment in segments
                ],
            },
        )
    ]


def _target(targets, key):
    return key if key.startswith("http") else targets.get(key) or targets.get("contact-sales")


def with_recommended(body, *, after: str, source: str):
    """The body with a recommended-content block after its first `after` block (at the end when there is none)."""
    body = list(body)
    position = next((number + 1 for number, (kind, _) in enumerate(body) if kind == after), len(body))
    body.insert(position, ("recommended", {"heading": RECOMMENDED_HEADING, "source": source, "limit": 3}))
    return body


def personalise(page, *, original_hero, original_body, new_hero, new_body) -> bool:
    """Give the page (in memory) its personalised hero and body, each only where that field is still
    exactly the demo's original. True when something changed; the caller publishes."""
    changed = False
    for name, original, new in (("hero", original_hero, new_hero), ("body", original_body, new_body)):
        if same_stream(page, name, original):
            setattr(page, name, new)
            changed = True
    return changed


def page_untouched(page) -> bool:
    """Live with no draft waiting: publishing a revision built from the live content loses nothing."""
    return page.live and not page.has_unpublished_changes


def same_stream(page, name: str, value) -> bool:
    """Whether a StreamField holds exactly this content (as the demo would build it), block ids aside."""
    field = page._meta.get_field(name)
    return _without_ids(field.get_prep_value(getattr(page, name))) == _without_ids(
        field.get_prep_value(field.to_python(value))
    )


def _without_ids(data):
    if isinstance(data, list):
        return [_without_ids(item) for item in data]
    if isinstance(data, dict):
        return {
            key: _without_ids(item)
            for key, item in data.items()
            if not (key == "id" and "type" in data and "value" in data)
        }
    return data
