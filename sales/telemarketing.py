"""The telemarketing queue: leads to check by phone, between automatic cleaning and sales.

Cleaning and scoring sort what comes in; some leads are worth a human check before a rep's time is
spent on them. A telemarketer (`leads.qualify_by_phone`) works this queue: calls, records the outcome
(leads.services.calls), marks an MQL by hand or disqualifies with a reason.

Who is in the queue (`queue_people`):
- stage **lead**: not yet handed to sales (an MQL has an owner and is sales' to call), not in
  nurture (sales rejected them: the cool-down is theirs), not disqualified;
- not test data, not a competitor, not do-not-contact;
- **with a phone number** and **owned by nobody** (a person with an owner is that rep's to call, such
  as the people of a key account);
- **graded** (everybody is, once scored: the order needs the grade);
- not held back by a recent call (CALL_HOLDS): no answer, back after 4 hours; reached without a
  decision, back after 7 days; not interested or wrong number (without disqualifying), back after 90
  days; and after MAX_NO_ANSWERS (3) calls without an answer within 30 days, out until the first of
  them is 30 days old. Qualified people are MQLs and disqualified ones disqualified: out by their stage.

Who to call first (`QUEUE_ORDER`, also shown on the screen):
1. the **grade**, A1 first, then A2, A3, A4, B1 ... D4: the fit letter first (who they are does not
   fade), then the interest digit (what they did, decaying daily), as the MQL rule reads them;
2. within a grade, the **freshest** first: the person's last own activity (a page view, a download,
   a form fill, a registration...; our calls and tag changes are not theirs), never-active last;
3. then the newest person first.

Narrowed by grade and country (`QueueFilterSet`). The page's rows come in one query (the freshness is
a subquery per row of the page, not of the queue), their calls in one more (`previous_calls`).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django_countries import countries
from wagtail.admin.filters import WagtailFilterSet

from leads.models import Interaction, Person, Stage
from leads.services.calls import CallOutcome, CallRecord, call_record
from leads.services.tags import person_tags_add
from sales.access import can_tag_people
from sales.filter_fields import CodesFilter
from sales.filters import GRADES

QUALIFY_PERMISSION = "leads.qualify_by_phone"
PREVIOUS_CALLS_SHOWN = 5
# What a call's outcome holds the person back for (then they are back in the queue).
CALL_HOLDS = {
    CallOutcome.NO_ANSWER: timedelta(hours=4),
    CallOutcome.REACHED: timedelta(days=7),
    CallOutcome.NOT_INTERESTED: timedelta(days=90),
    CallOutcome.WRONG_NUMBER: timedelta(days=90),
}
MAX_NO_ANSWERS = 3
NO_ANSWER_WINDOW = timedelta(days=30)
# Our own doings on a person's timeline: not the person's activity.
NOT_THEIR_ACTIVITY = [Interaction.Type.CALL, Interaction.Type.TAG_ADDED, Interaction.Type.TAG_REMOVED]
QUEUE_ORDER = [
    "Grade first: A1, A2, A3, A4, then B1 … D4 (fit, who they are, before interest, what they did).",
    "Within a grade, the freshest first: whoever did something most recently (calls and tags are ours, "
    "not theirs); people who never did anything last.",
    "Then the newest person first.",
    "Not shown: anyone called recently. No answer: back after 4 hours (after 3 unanswered calls in 30 "
    "days, back when the first is 30 days old). Reached without a decision: back after 7 days. "
    "Not interested or wrong number: back after 90 days.",
]


def can_qualify_by_phone(user) -> bool:
    return bool(user and user.is_active and user.has_perm(QUALIFY_PERMISSION))


def held_back(now=None):
    """The ids of people a recent call holds back (two small sets read from the calls of the last
    90 days, by the (type, occurred_at) index: calls are few beside page views)."""
    now = now or timezone.now()
    calls = Interaction.objects.filter(type=Interaction.Type.CALL, person__isnull=False)
    recent = Q()
    for outcome, hold in CALL_HOLDS.items():
        recent |= Q(object_id=outcome.value, occurred_at__gt=now - hold)
    just_called = calls.filter(recent).values("person_id")
    unanswered = (
        calls.filter(object_id=CallOutcome.NO_ANSWER.value, occurred_at__gt=now - NO_ANSWER_WINDOW)
        .order_by()
        .values("person_id")
        .annotate(calls=Count("pk"))
        .filter(calls__gte=MAX_NO_ANSWERS)
        .values("person_id")
    )
    return just_called, unanswered


def last_activity():
    """The person's last own activity, as a subquery (the (person, occurred_at) index, newest first)."""
    theirs = (
        Interaction.objects.filter(person=OuterRef("pk"))
        .exclude(type__in=NOT_THEIR_ACTIVITY)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return Subquery(theirs)


def queue_people(now=None):
    """Everybody in the queue (see the module), in the order to call them, with `score`
    (fit + interest) and `last_activity`."""
    just_called, unanswered = held_back(now)
    return (
        Person.objects.filter(
            stage=Stage.LEAD,
            is_test=False,
            is_competitor=False,
            do_not_contact=False,
            owner__isnull=True,
            grade__gt="",
        )
        .exclude(phone="")
        .exclude(pk__in=just_called)
        .exclude(pk__in=unanswered)
        .select_related("company")
        .annotate(score=F("fit_score") + F("interest_score"), last_activity=last_activity())
        .order_by("grade", F("last_activity").desc(nulls_last=True), "-pk")
    )


def queue_person(person_id, now=None) -> Person | None:
    """One person if they are in the queue now, else None (the call screen's 404)."""
    pk = _person_pk(person_id)
    return None if pk is None else queue_people(now).filter(pk=pk).first()


class QueueFilterSet(WagtailFilterSet):
    """Narrow the queue: grade (several), country (several). A bad value is an error on its field."""

    grade = CodesFilter(label="Grade", choices=GRADES, method="filter_in", widget=forms.CheckboxSelectMultiple)
    country = CodesFilter(
        label="Country", choices=list(countries), method="filter_in", widget=forms.SelectMultiple(attrs={"size": 6})
    )

    class Meta:
        model = Person
        fields = []

    def filter_in(self, queryset, name, value):
        return queryset.filter(**{f"{name}__in": value}) if value else queryset


# --- The page's facts -----------------------------------------------------------------------------
@dataclass
class PreviousCall:
    at: object
    outcome: str
    by: str
    note: str

    @property
    def outcome_label(self) -> str:
        try:
            return CallOutcome(self.outcome).label
        except ValueError:
            return self.outcome.replace("_", " ").capitalize()


def previous_calls(person_ids, *, per_person: int = PREVIOUS_CALLS_SHOWN) -> dict[int, list[PreviousCall]]:
    """{person id: their calls, newest first (at most `per_person`)}, in one query. Queue people have
    few calls (each holds them back for hours to months), so reading them all is cheap."""
    rows = (
        Interaction.objects.filter(person_id__in=list(person_ids), type=Interaction.Type.CALL)
        .only("person_id", "occurred_at", "object_id", "properties")
        .order_by("person_id", "-occurred_at", "-pk")
    )
    calls: dict[int, list[PreviousCall]] = {}
    for row in rows:
        mine = calls.setdefault(row.person_id, [])
        if len(mine) < per_person:
            properties = row.properties if isinstance(row.properties, dict) else {}
            mine.append(
                PreviousCall(
                    row.occurred_at, row.object_id, str(properties.get("by", "")), str(properties.get("note", ""))
                )
            )
    return calls


def recent_activity(person: Person, *, size: int = 10) -> list[Interaction]:
    """What the person did lately, for the call screen (the telemarketer sees no profile)."""
    return list(
        Interaction.objects.filter(person=person)
        .exclude(type__in=NOT_THEIR_ACTIVITY)
        .only("pk", "type", "occurred_at", "object_label", "person_id")
        .order_by("-occurred_at", "-pk")[:size]
    )


# --- Recording a call -----------------------------------------------------------------------------
class NotInQueue(Exception):
    """The person is not (or no longer) in the queue."""


def queue_call_record(
    user, person_id, *, outcome: str, note: str = "", disqualify_reason: str = "", token=None, tags=()
) -> CallRecord:
    """A call made from the queue. The rights first (PermissionDenied); then, under the person's row
    lock, a resubmission of a call already recorded (answered as such, although that call may have
    taken the person out of the queue), then the queue (NotInQueue: gone meanwhile, or never there),
    then the lead store's call_record (leads.services.calls.CallError names the field at fault).
    `tags` (names) go on the person with the call, by the caller: what the call taught them."""
    if not can_qualify_by_phone(user):
        raise PermissionDenied("Working the telemarketing queue needs the right to qualify by phone.")
    if tags and not can_tag_people(user):
        raise PermissionDenied("Tagging people needs the right to add and remove tags.")
    pk = _person_pk(person_id)
    if pk is None:
        raise NotInQueue
    with transaction.atomic():
        locked = Person.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotInQueue
        earlier = _earlier_call(pk, token)
        if earlier is not None:
            return CallRecord(earlier, created=False)
        if not queue_people().filter(pk=pk).exists():
            raise NotInQueue
        record = call_record(
            locked, outcome=outcome, actor=user, note=note, disqualify_reason=disqualify_reason, token=token
        )
        if tags:
            person_tags_add(locked, list(tags), by=user)
        return record


def _earlier_call(person_pk: int, token) -> Interaction | None:
    try:
        token = uuid.UUID(str(token)) if token else None
    except ValueError:
        return None  # call_record says what is wrong with it
    if token is None:
        return None
    return Interaction.objects.filter(event_id=token, person_id=person_pk, type=Interaction.Type.CALL).first()


def _person_pk(value) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None
