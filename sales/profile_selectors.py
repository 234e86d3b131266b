"""Reads behind the person 360 view and the company view: a fixed number of queries per page, whatever
the number of leads, interactions or stage moves a person has.

Long histories are cut: the newest `LEADS_SHOWN` leads and `TRANSITIONS_SHOWN` stage moves (a person
with more is rare and the page says so); the timeline pages through everything, by keyset on
(occurred_at, pk) over the (person, occurred_at) index, never by OFFSET.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core import signing
from django.db.models import Count, Q, Sum

from leads.models import Company, Consent, Interaction, Lead, Person, StageTransition
from leads.services import score_explanation
from sales.access import visible_companies, visible_people
from sales.scores import whole_points
from sales.timeline_visits import timeline_rows, visits_load

TIMELINE_PAGE_SIZE = 25
LEADS_SHOWN = 100
TRANSITIONS_SHOWN = 100
UNSUBSCRIBES_SHOWN = 20
COMPANY_PEOPLE_SHOWN = 100
COMPANY_ACTIVITY_SHOWN = 20
SUBSIDIARIES_SHOWN = 50
GRADES = [f"{fit}{interest}" for fit in "ABCD" for interest in "1234"]

# type -> (Wagtail icon, what the person did). Types not listed here still show, with their own name.
TIMELINE_KINDS = {
    Interaction.Type.PAGE_VIEW: ("view", "Visited"),
    Interaction.Type.CONTENT_DOWNLOAD: ("download", "Downloaded"),
    Interaction.Type.FORM_SUBMIT: ("form", "Filled in a form"),
    Interaction.Type.EVENT_REGISTERED: ("calendar", "Registered for"),
    Interaction.Type.EVENT_ATTENDED: ("calendar-check", "Attended"),
    Interaction.Type.CONTACT_SALES: ("user", "Asked to talk to sales"),
    Interaction.Type.EMAIL_SENT: ("mail", "Was sent an email"),  # campaign email (its sender writes one per message)
    Interaction.Type.EMAIL_OPEN: ("mail", "Opened an email"),
    Interaction.Type.EMAIL_CLICK: ("link", "Clicked a link in an email"),
    Interaction.Type.UNSUBSCRIBE: ("cross", "Unsubscribed"),
    Interaction.Type.TAG_ADDED: ("tag", "Tagged"),  # the tag's name; who did it shows beside (TimelineEntry.actor)
    Interaction.Type.TAG_REMOVED: ("tag", "Tag removed"),
    Interaction.Type.CALL: ("mobile-alt", "Phone call"),  # its label says the outcome and who: "No answer, by Tom"
}


# --- The score ------------------------------------------------------------------------------


@dataclass
class ScoreSummary:
    lines: list
    fit_total: float
    interest_total: float

    @property
    def total(self) -> float:
        return self.fit_total + self.interest_total

    @property
    def rounding_shows(self) -> bool:
        """The lines, each shown in whole points, do not add up to the whole total shown (by a point or so)."""
        return sum(whole_points(line.points) for line in self.lines) != whole_points(self.total)


def person_score(person: Person) -> ScoreSummary:
    """The explanation's lines and their sums: fit lines add up to the fit score, interest lines to the
    interest score (before its rounding to two decimals), both to the score."""
    lines = score_explanation(person)
    return ScoreSummary(
        lines=lines,
        fit_total=sum(line.points for line in lines if line.kind == "fit"),
        interest_total=sum(line.points for line in lines if line.kind == "interest"),
    )


# --- Stage history, leads, consent ----------------------------------------------------------


def person_transitions(person: Person) -> tuple[list[StageTransition], bool]:
    """Stage moves newest first, with who made them; and whether older ones were left out."""
    rows = list(
        StageTransition.objects.filter(person=person)
        .select_related("actor")
        .order_by("-occurred_at", "-pk")[: TRANSITIONS_SHOWN + 1]
    )
    return rows[:TRANSITIONS_SHOWN], len(rows) > TRANSITIONS_SHOWN


def person_leads(person: Person) -> tuple[list[Lead], bool]:
    """The person's captures newest first (only the columns the page shows; raw payloads stay in the
    database); and whether older ones were left out."""
    rows = list(
        Lead.objects.filter(person=person)
        .only(
            "pk",
            "source",
            "origin_type",
            "origin_id",
            "origin_label",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "verdict",
            "received_at",
            "mapped_fields",
            "person_id",
        )
        .order_by("-received_at", "-pk")[: LEADS_SHOWN + 1]
    )
    return rows[:LEADS_SHOWN], len(rows) > LEADS_SHOWN


@dataclass
class ConsentFact:
    at: datetime
    what: str
    where: str
    granted: bool | None  # None: no answer given


def lead_consent_answer(lead: Lead) -> str:
    """The consent answer a capture carried ("granted", "denied", "withdrawn"), or "" when it had none."""
    try:
        fields = json.loads(lead.mapped_fields or "{}")
    except ValueError:
        return ""
    answer = str(fields.get("consent", "")).strip().lower() if isinstance(fields, dict) else ""
    return answer if answer in {Consent.GRANTED, Consent.DENIED, Consent.WITHDRAWN} else ""


def person_consent_history(person: Person, leads: list[Lead]) -> list[ConsentFact]:
    """What the lead store knows about this person's consent, newest first.

    Deliberately built from the lead store alone: the consent answer each capture carried (its mapped
    fields) and every unsubscribe. The forms app's ConsentRecord (the exact wording shown, by email or
    lead) is the legal evidence, but sales may not depend on forms (DESIGN.md: leads is the system of
    record), and a lookup by app label would silently couple this page to another app's schema. The
    wording stays one click away in Forms & consent > Consent records for those allowed to see it.
    """
    facts = []
    for lead in leads:
        answer = lead_consent_answer(lead)
        where = lead.origin_label or lead.get_origin_type_display()
        if answer:
            facts.append(
                ConsentFact(
                    lead.received_at, f"Consent {Consent(answer).label.lower()}", where, answer == Consent.GRANTED
                )
            )
        else:
            facts.append(ConsentFact(lead.received_at, "No consent answer", where, None))
    unsubscribes = (
        Interaction.objects.filter(person=person, type=Interaction.Type.UNSUBSCRIBE)
        .only("occurred_at", "object_label")
        .order_by("-occurred_at", "-pk")[:UNSUBSCRIBES_SHOWN]
    )
    facts += [ConsentFact(row.occurred_at, "Unsubscribed", row.object_label or "Email", False) for row in unsubscribes]
    facts.sort(key=lambda fact: fact.at, reverse=True)
    return facts


# --- The timeline ---------------------------------------------------------------------------

_cursor_signer = signing.Signer(salt="sales.profile.timeline")


def timeline_cursor(interaction: Interaction) -> str:
    """A signed position (occurred_at, pk): a tampered or foreign cursor is simply not accepted."""
    stamp = int(interaction.occurred_at.timestamp() * 1_000_000)
    return _cursor_signer.sign(f"{stamp}.{interaction.pk}")


def parse_timeline_cursor(value) -> tuple[datetime, int] | None:
    """(occurred_at, pk) from a cursor, or None for anything that is not one of ours."""
    if not value or not isinstance(value, str) or len(value) > 200:
        return None
    try:
        stamp, pk = _cursor_signer.unsign(value).split(".")
        moment = datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC)
        return moment, int(pk)
    except (signing.BadSignature, ValueError, OverflowError, OSError):
        return None


@dataclass
class TimelineEntry:
    interaction: Interaction
    icon: str
    label: str

    @property
    def occurred_at(self):
        return self.interaction.occurred_at

    @property
    def object_label(self):
        return self.interaction.object_label

    @property
    def type(self):
        return self.interaction.type

    @property
    def detail(self) -> str:
        """What more an email entry says: whether a machine opened it (a mail-privacy proxy fetches every
        image on delivery, so such an open says nothing of the person), the link a click followed."""
        properties = self.interaction.properties if isinstance(self.interaction.properties, dict) else {}
        if self.interaction.type == Interaction.Type.EMAIL_OPEN:
            return "by a machine (mail-privacy proxy or scanner)" if properties.get("machine") else "by the person"
        if self.interaction.type == Interaction.Type.EMAIL_CLICK:
            return str(properties.get("label") or properties.get("url") or "")[:200]
        return ""

    @property
    def actor(self) -> str:
        """Who changed the person's tags: the username kept with the change."""
        if self.interaction.type not in (Interaction.Type.TAG_ADDED, Interaction.Type.TAG_REMOVED):
            return ""
        properties = self.interaction.properties
        return str(properties.get("by") or "") if isinstance(properties, dict) else ""


@dataclass
class TimelinePage:
    entries: list = field(default_factory=list)
    older_cursor: str = ""  # "" when this is the oldest page
    newer_cursor: str = ""  # "" when this is the newest page

    @property
    def is_first(self) -> bool:
        return not self.newer_cursor


def _entry(interaction: Interaction) -> TimelineEntry:
    icon, label = TIMELINE_KINDS.get(interaction.type, ("info-circle", interaction.type.replace("_", " ").capitalize()))
    return TimelineEntry(interaction, icon, label)


def _entries(rows: list[Interaction]) -> list:
    """The page's rows as entries: a visit for each page view that ends one (its pages loaded with it,
    two queries), an entry of its own for anything else."""
    visits = visits_load([row for row in rows if row.type == Interaction.Type.PAGE_VIEW])
    return [visits.get(row.pk) or _entry(row) for row in rows]


def person_timeline(person: Person, *, before=None, after=None, size: int = TIMELINE_PAGE_SIZE) -> TimelinePage:
    """One page of what the person did, newest first, page views grouped by visit (a visit counts as
    one entry and is never split across pages: see sales.timeline_visits).

    `before`: the page older than that cursor ("Older", "Show more"); `after`: the page newer than it
    ("Newer"). Without a valid cursor, the newest page. One query (size + 1 rows tell whether there
    is more), and two for the pages of the visits shown; the page a cursor came from is known to exist
    on the other side.
    """
    # Page views come as visits (sales.timeline_visits): one row per visit, at the place of its last view.
    base = timeline_rows(
        Interaction.objects.filter(person_id=person.pk).only(
            "pk",
            "type",
            "occurred_at",
            "object_type",
            "object_id",
            "object_label",
            "person_id",
            "visitor_id",
            "properties",
        )
    )
    older_than, newer_than = parse_timeline_cursor(before), parse_timeline_cursor(after)
    if newer_than and not older_than:
        moment, pk = newer_than
        rows = list(
            base.filter(Q(occurred_at__gt=moment) | Q(occurred_at=moment, pk__gt=pk)).order_by("occurred_at", "pk")[
                : size + 1
            ]
        )
        if len(rows) > size:
            rows = rows[:size]
            rows.reverse()
            return TimelinePage(
                _entries(rows),
                older_cursor=timeline_cursor(rows[-1]),
                newer_cursor=timeline_cursor(rows[0]),
            )
        # Back at the newest end: show the newest full page rather than a short one.
        older_than = None
    rows, newer = [], False
    if older_than:
        moment, pk = older_than
        rows = list(
            base.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, pk__lt=pk)).order_by("-occurred_at", "-pk")[
                : size + 1
            ]
        )
        newer = bool(rows)
    if not rows:  # no cursor, or one past the oldest end (the history changed): the newest page
        rows = list(base.order_by("-occurred_at", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return TimelinePage(
        _entries(rows),
        older_cursor=timeline_cursor(rows[-1]) if more and rows else "",
        newer_cursor=timeline_cursor(rows[0]) if newer and rows else "",
    )


# --- The company view -----------------------------------------------------------------------


@dataclass
class GradeBar:
    grade: str
    count: int
    percent: int  # of the biggest bar, for the chart's width


@dataclass
class CompanySummary:
    people: list
    more_people: bool
    people_count: int
    grade_bars: list
    best_grade: str
    total_fit: int
    total_interest: float
    activity: list
    subsidiaries: list
    parent_visible: bool

    @property
    def total_score(self) -> float:
        return self.total_fit + self.total_interest


def company_summary(company: Company, user) -> CompanySummary:
    """The company as `user` may see it: only their visible people count, in the list, the grade
    distribution, the totals and the activity (a rep learns nothing about colleagues' people here)."""
    people_qs = visible_people(user, Person.objects.filter(company=company))
    people = list(
        people_qs.select_related("owner").order_by("-fit_score", "-interest_score", "pk")[: COMPANY_PEOPLE_SHOWN + 1]
    )
    per_grade = {
        row["grade"]: row
        for row in people_qs.order_by()
        .values("grade")
        .annotate(n=Count("pk"), fit=Sum("fit_score"), interest=Sum("interest_score"))
    }
    counts = [(grade, per_grade[grade]["n"]) for grade in GRADES if grade in per_grade]
    other = sum(row["n"] for grade, row in per_grade.items() if grade not in GRADES)
    if other:
        counts.append(("Ungraded", other))
    biggest = max((n for _, n in counts), default=0)
    bars = [GradeBar(grade, n, round(100 * n / biggest) if biggest else 0) for grade, n in counts]
    activity = list(
        Interaction.objects.filter(person__in=people_qs.values("pk"))
        .select_related("person")
        .only(
            "pk",
            "type",
            "occurred_at",
            "object_label",
            "person__id",
            "person__first_name",
            "person__last_name",
            "person__email",
        )
        .order_by("-occurred_at", "-pk")[:COMPANY_ACTIVITY_SHOWN]
    )
    subsidiaries = list(visible_companies(user, company.subsidiaries.all()).order_by("name")[:SUBSIDIARIES_SHOWN])
    parent_visible = (
        bool(company.parent_id) and visible_companies(user, Company.objects.filter(pk=company.parent_id)).exists()
    )
    return CompanySummary(
        people=people[:COMPANY_PEOPLE_SHOWN],
        more_people=len(people) > COMPANY_PEOPLE_SHOWN,
        people_count=sum(row["n"] for row in per_grade.values()),
        grade_bars=bars,
        best_grade=next((grade for grade in GRADES if grade in per_grade), ""),
        total_fit=sum(row["fit"] or 0 for row in per_grade.values()),
        total_interest=sum(row["interest"] or 0 for row in per_grade.values()),
        activity=[_entry(row) for row in activity],
        subsidiaries=subsidiaries,
        parent_visible=parent_visible,
    )
