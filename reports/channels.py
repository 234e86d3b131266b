"""Channels: which kind of traffic a touch came from, read from its UTM medium, source and referrer.

One reading for every report (dashboard, funnel filter, channel quality, attribution), in Python for
rows read one at a time and as a SQL CASE for rollups computed in the database. The two are tested to
agree. The groups follow the usual web-analytics default channel grouping (Google Analytics' and
HubSpot's "source" buckets), cut to what a B2B marketing team tells apart.
"""

from django.db.models import Case, CharField, Q, Value, When
from django.db.models.functions import Lower

PAID_SEARCH = "Paid search"
PAID_SOCIAL = "Paid social"
ORGANIC_SEARCH = "Organic search"
SOCIAL = "Social"
EMAIL = "Email"
DISPLAY = "Display"
REFERRAL = "Referral"
OTHER_CAMPAIGN = "Other campaigns"
DIRECT = "Direct"

CHANNELS = [PAID_SEARCH, PAID_SOCIAL, ORGANIC_SEARCH, SOCIAL, EMAIL, DISPLAY, REFERRAL, OTHER_CAMPAIGN, DIRECT]

PAID_MEDIA = ("cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search", "sem")
PAID_SOCIAL_MEDIA = ("paid_social", "paid-social", "paidsocial", "social_paid", "sponsored")
SOCIAL_MEDIA = ("social", "social-network", "social_network", "sm")
EMAIL_MEDIA = ("email", "e-mail", "newsletter", "mail")
DISPLAY_MEDIA = ("display", "banner", "cpm", "programmatic")
SEARCH_ENGINES = ("google", "bing", "duckduckgo", "yahoo", "ecosia", "baidu", "yandex", "qwant", "startpage")
SOCIAL_SITES = (
    "linkedin",
    "lnkd.in",
    "facebook",
    "instagram",
    "twitter",
    "t.co",
    "x.com",
    "xing",
    "youtube",
    "reddit",
    "threads",
    "bsky",
    "mastodon",
)


def _mentions(value: str, names) -> bool:
    return any(name in value for name in names)


def channel_of(*, source: str = "", medium: str = "", referrer_domain: str = "") -> str:
    """The channel of one touch. A tagged link (any UTM) is read by its medium and source; an untagged
    visit by where it came from; nothing at all is Direct."""
    source, medium, referrer = (source or "").lower(), (medium or "").lower(), (referrer_domain or "").lower()
    if medium or source:
        if medium in PAID_SOCIAL_MEDIA or (medium in PAID_MEDIA and _mentions(source, SOCIAL_SITES)):
            return PAID_SOCIAL
        if medium in PAID_MEDIA:
            return PAID_SEARCH
        if medium in EMAIL_MEDIA:
            return EMAIL
        if medium in DISPLAY_MEDIA:
            return DISPLAY
        if medium in SOCIAL_MEDIA or _mentions(source, SOCIAL_SITES):
            return SOCIAL
        if medium == "organic" or _mentions(source, SEARCH_ENGINES):
            return ORGANIC_SEARCH
        if medium == "referral":
            return REFERRAL
        return OTHER_CAMPAIGN
    if referrer:
        if _mentions(referrer, SEARCH_ENGINES):
            return ORGANIC_SEARCH
        if _mentions(referrer, SOCIAL_SITES):
            return SOCIAL
        return REFERRAL
    return DIRECT


def _contains_any(field: str, names) -> Q:
    q = Q()
    for name in names:
        q |= Q(**{f"{field}__contains": name})
    return q


def channel_expression(source: str = "source", medium: str = "medium", referrer_domain: str = "referrer_domain"):
    """channel_of as a SQL CASE over three columns (names given), for annotate()/update() in the database.

    The columns are compared lower-cased; the order of the WHENs is the order of the tests above."""
    lowered = {
        "_ch_source": Lower(source),
        "_ch_medium": Lower(medium),
        "_ch_referrer": Lower(referrer_domain),
    }
    tagged = ~Q(_ch_medium="") | ~Q(_ch_source="")
    whens = [
        When(
            tagged
            & (
                Q(_ch_medium__in=PAID_SOCIAL_MEDIA)
                | (Q(_ch_medium__in=PAID_MEDIA) & _contains_any("_ch_source", SOCIAL_SITES))
            ),
            then=Value(PAID_SOCIAL),
        ),
        When(tagged & Q(_ch_medium__in=PAID_MEDIA), then=Value(PAID_SEARCH)),
        When(tagged & Q(_ch_medium__in=EMAIL_MEDIA), then=Value(EMAIL)),
        When(tagged & Q(_ch_medium__in=DISPLAY_MEDIA), then=Value(DISPLAY)),
        When(tagged & (Q(_ch_medium__in=SOCIAL_MEDIA) | _contains_any("_ch_source", SOCIAL_SITES)), then=Value(SOCIAL)),
        When(
            tagged & (Q(_ch_medium="organic") | _contains_any("_ch_source", SEARCH_ENGINES)),
            then=Value(ORGANIC_SEARCH),
        ),
        When(tagged & Q(_ch_medium="referral"), then=Value(REFERRAL)),
        When(tagged, then=Value(OTHER_CAMPAIGN)),
        When(_contains_any("_ch_referrer", SEARCH_ENGINES), then=Value(ORGANIC_SEARCH)),
        When(_contains_any("_ch_referrer", SOCIAL_SITES), then=Value(SOCIAL)),
        When(~Q(_ch_referrer=""), then=Value(REFERRAL)),
    ]
    return lowered, Case(*whens, default=Value(DIRECT), output_field=CharField())
