"""Who in a campaign's audience may get it, and why the others may not: one SQL CASE over the people.

Each person left out is counted under the first reason that applies, in this fixed order (REASONS):

1. no_address          no valid address: empty, or not shaped like name@domain.tld (nothing to send to)
2. test_or_competitor  Person.is_test or Person.is_competitor (never real recipients)
3. excluded            in one of the campaign's excluded audiences (the marketer said so)
4. do_not_contact      Person.do_not_contact
5. unsubscribed        the address (its email key) is on the suppression list as unsubscribed
6. suppressed          ... as a hard bounce, a complaint, imported or added by hand
7. no_consent          no consent for marketing email under the person's country's policy
8. topic               left this campaign's kind of email (TopicOptOut) in the preference centre
9. fatigue             already got `fatigue_limit` marketing emails in the last `fatigue_days` days

Facts about the address and the person come first, the marketer's choice next, then what the person
asked for, and fatigue last: it is the only reason that passes by itself, and a send counts who was
*held back* by it (people who would otherwise have got the email), so nobody already out for another
reason is counted as held back.

Consent (forms.ConsentPolicy, by Person.country, the "*" row for every country without one, and
opt-in when there is no "*" row either): where the policy asks for opt-in, only `consent == granted`
counts; where a notice is enough, anybody who did not say no (denied, withdrawn) counts. Double
opt-in is not looked at here: the consent helper sets `granted` only once the link is clicked.

Suppression compares the lead store's email key (lower case, without a +tag) with Suppression.email_key,
so jane+news@x.com unsubscribing covers jane@x.com and the other way round.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from campaigns.models import CampaignRecipient, CampaignSettings, Suppression, TopicOptOut

LeftOut = CampaignRecipient.LeftOut

REASONS = (
    LeftOut.NO_ADDRESS,
    LeftOut.TEST_OR_COMPETITOR,
    LeftOut.EXCLUDED,
    LeftOut.DO_NOT_CONTACT,
    LeftOut.UNSUBSCRIBED,
    LeftOut.SUPPRESSED,
    LeftOut.NO_CONSENT,
    LeftOut.TOPIC,
    LeftOut.FATIGUE,
)
ELIGIBLE = ""  # the reason of someone who gets the email

# name@domain.tld without spaces: what a send can try. The lead store normalises addresses when it
# captures them (email-validator); this catches what imports and hand edits left behind.
ADDRESS_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass(frozen=True)
class Rules:
    """What eligibility depends on besides the person: read once per count."""

    campaign_id: int | None
    topic_id: int | None
    fatigue_limit: int
    fatigue_days: int
    opt_in_countries: frozenset[str]
    notice_countries: frozenset[str]
    opt_in_elsewhere: bool  # the "*" policy (opt-in when there is none)


def campaign_settings() -> CampaignSettings:
    """The default site's campaign settings (fatigue), or the defaults when none are saved: a read, never
    a write (Wagtail's for_site would create the row)."""
    return CampaignSettings.objects.filter(site__is_default_site=True).first() or CampaignSettings()


def rules_for(*, campaign_id: int | None, topic_id: int | None, settings: CampaignSettings | None = None) -> Rules:
    from forms.models import ConsentPolicy
    from forms.models.consent import EVERYWHERE_ELSE

    settings = settings or campaign_settings()
    policies = dict(ConsentPolicy.objects.values_list("country", "opt_in_required"))
    opt_in_elsewhere = policies.pop(EVERYWHERE_ELSE, True)
    return Rules(
        campaign_id=campaign_id,
        topic_id=topic_id,
        fatigue_limit=settings.fatigue_limit,
        fatigue_days=settings.fatigue_days,
        opt_in_countries=frozenset(country.upper() for country, required in policies.items() if required),
        notice_countries=frozenset(country.upper() for country, required in policies.items() if not required),
        opt_in_elsewhere=opt_in_elsewhere,
    )


def consent_missing_q(rules: Rules) -> Q:
    """People without the consent their country's policy asks for marketing email."""
    from leads.models import Consent

    granted = Q(consent=Consent.GRANTED)
    not_refused = ~Q(consent__in=[Consent.DENIED, Consent.WITHDRAWN])
    if rules.opt_in_elsewhere:
        # Opt-in everywhere but the notice countries.
        if not rules.notice_countries:
            return ~granted
        return ~(granted | (Q(country__in=sorted(rules.notice_countries)) & not_refused))
    # A notice is enough everywhere but the opt-in countries.
    if not rules.opt_in_countries:
        return ~not_refused
    return ~(granted | (~Q(country__in=sorted(rules.opt_in_countries)) & not_refused))


def fatigued_q(rules: Rules, *, now=None) -> Q | None:
    """People who got `fatigue_limit` or more emails of other campaigns in the last `fatigue_days` days:
    an uncorrelated GROUP BY ... HAVING over the recipients' (person, sent_at) index."""
    if not rules.fatigue_limit:
        return None
    since = (now or timezone.now()) - timedelta(days=rules.fatigue_days)
    sent = CampaignRecipient.objects.filter(sent_at__gte=since, person__isnull=False)
    if rules.campaign_id:
        sent = sent.exclude(campaign_id=rules.campaign_id)
    heavy = sent.order_by().values("person_id").annotate(emails=Count("pk")).filter(emails__gte=rules.fatigue_limit)
    return Q(pk__in=heavy.values("person_id"))


def reason_conditions(rules: Rules, *, exclude_q: Q | None, now=None) -> list[tuple[str, Q]]:
    """(reason, condition on leads.Person) in REASONS order; a person's reason is the first that holds."""
    unsubscribed = Suppression.objects.filter(reason=Suppression.Reason.UNSUBSCRIBED).order_by()
    suppressed = Suppression.objects.exclude(reason=Suppression.Reason.UNSUBSCRIBED).order_by()
    conditions = [
        (LeftOut.NO_ADDRESS, Q(email="") | ~Q(email__regex=ADDRESS_PATTERN)),
        (LeftOut.TEST_OR_COMPETITOR, Q(is_test=True) | Q(is_competitor=True)),
        (LeftOut.EXCLUDED, exclude_q),
        (LeftOut.DO_NOT_CONTACT, Q(do_not_contact=True)),
        # Each as an uncorrelated IN: PostgreSQL reads the list once into a hash (hashed SubPlan) instead of
        # probing it per person (160k probes, twice, were most of the live count's 2.6 s); a key has one row,
        # so the two sets never overlap.
        (LeftOut.UNSUBSCRIBED, Q(email_key__in=unsubscribed.values("email_key"))),
        (LeftOut.SUPPRESSED, Q(email_key__in=suppressed.values("email_key"))),
        (LeftOut.NO_CONSENT, consent_missing_q(rules)),
        (LeftOut.TOPIC, _topic_q(rules)),
        (LeftOut.FATIGUE, fatigued_q(rules, now=now)),
    ]
    return [(reason, condition) for reason, condition in conditions if condition is not None]


def _topic_q(rules: Rules) -> Q | None:
    if not rules.topic_id:
        return None
    return Q(Exists(TopicOptOut.objects.filter(person=OuterRef("pk"), topic_id=rules.topic_id)))


def annotate_reason(people, rules: Rules, *, exclude_q: Q | None, now=None, selected: bool = True):
    """`people` (a leads.Person queryset) with `left_out_reason`: "" for the eligible, else the first reason.
    `selected=False` only lets the queryset filter on it: a query that filters on the reason and selects it
    too evaluates the CASE, and builds the fatigue GROUP BY, twice."""
    whens = [
        When(condition, then=Value(str(reason)))
        for reason, condition in reason_conditions(rules, exclude_q=exclude_q, now=now)
    ]
    reason = Case(*whens, default=Value(ELIGIBLE), output_field=CharField())
    return people.annotate(left_out_reason=reason) if selected else people.alias(left_out_reason=reason)


@contextmanager
def without_jit():
    """Run the audience's queries without PostgreSQL's JIT compilation (SET LOCAL, this transaction only).

    The CASE over every person in the audience makes the planner's cost estimate large (160k people:
    700,000), far past jit_above_cost (100,000), so each count compiled its expressions first: 2.7 to
    3.4 s of compiling (inlining and optimising) for a query that runs in 1.7 s once. A count runs once;
    compiling never pays back. Elsewhere (SQLite) nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    # No savepoint of its own inside a caller's transaction: two statements fewer, and SET LOCAL lasts to
    # the end of the outermost transaction anyway.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield
