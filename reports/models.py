"""The reports' rollups: what the raw rows say, kept small enough to answer a year in under a second.

Both are derived, never edited: `reports.rollups` computes them with the same SQL a direct query over
the raw rows would run, for the people or days that changed, and `manage.py reports_rebuild` computes
them again from scratch. A test compares both on random data (late events, merges included).
"""

from django.conf import settings
from django.db import models

from core.models import Record


class PersonJourney(Record):
    """One row per person: how they came, and when they first reached each stage.

    "How they came" is the attribution of the person's first lead (its UTM and referrer, which the
    attribution cookie remembers from the first visit for 30 days). "Reached" a stage means moved into
    it or any stage after it on the success path, so a person taken straight from lead to SQL counts
    as having reached MQL too (Marketo's and HubSpot's reading of a funnel).
    """

    person = models.OneToOneField(
        "leads.Person", primary_key=True, on_delete=models.CASCADE, related_name="journey", db_constraint=True
    )
    created_at = models.DateTimeField(help_text="When the person was created (the cohort)")
    # How they came: the first lead's attribution.
    channel = models.CharField(max_length=30, blank=True, help_text="reports.channels: Paid search, Social, ...")
    source = models.CharField(max_length=255, blank=True)
    medium = models.CharField(max_length=255, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    referrer_domain = models.CharField(max_length=253, blank=True)
    # The first capture: which form, whitepaper or event brought them ("form" filter).
    first_origin_type = models.CharField(max_length=20, blank=True)
    first_origin_id = models.CharField(max_length=64, blank=True)
    first_origin_label = models.CharField(max_length=255, blank=True)
    # Who they are now (the reports' filters), copied when the person changes.
    industry = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    team = models.CharField(max_length=100, blank=True, help_text="The owner's sales team")
    stage = models.CharField(max_length=20, blank=True)
    is_excluded = models.BooleanField(default=False, help_text="Test or competitor: counted nowhere")
    # First time into each stage of the success path (or past it).
    mql_at = models.DateTimeField(null=True, blank=True)
    sql_at = models.DateTimeField(null=True, blank=True)
    opportunity_at = models.DateTimeField(null=True, blank=True)
    customer_at = models.DateTimeField(null=True, blank=True)
    # Recycling: first moved back to nurture or disqualified after MQL, and first came back to MQL+ after.
    recycled_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    # Revenue (settings.REPORT_CURRENCY): open and won deals' amounts; won alone.
    pipeline_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    won_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="reports_journey_cohort"),
            models.Index(fields=["channel", "created_at"], name="reports_journey_channel"),
            models.Index(fields=["owner", "created_at"], name="reports_journey_owner"),
            # The dashboard's and the funnel's "first reached X in the period": a range on each moment, over
            # the people who reached it only (most never do).
            models.Index(fields=["mql_at"], name="reports_journey_mql", condition=models.Q(mql_at__isnull=False)),
            models.Index(fields=["sql_at"], name="reports_journey_sql", condition=models.Q(sql_at__isnull=False)),
            models.Index(
                fields=["opportunity_at"], name="reports_journey_opp", condition=models.Q(opportunity_at__isnull=False)
            ),
            models.Index(
                fields=["customer_at"], name="reports_journey_customer", condition=models.Q(customer_at__isnull=False)
            ),
            # Test and competitor people, left out of every report: a handful, found without reading everybody.
            models.Index(fields=["person"], name="reports_journey_excluded", condition=models.Q(is_excluded=True)),
        ]
        permissions = [
            ("view_reports", "Can see marketing reports (dashboard, funnel, channels, attribution, events)"),
            ("view_content_reports", "Can see content performance"),
        ]

    def __str__(self):
        return f"Journey of PID-{self.person_id}"


class DailyVisitor(Record):
    """One row per visitor per day they viewed a page: the day's first touch and whether they were known.

    Unique visitors over any period are a distinct count over these rows (a day's page views collapse
    into one row), and the daily trend line is a count per day.
    """

    day = models.DateField()
    visitor_id = models.CharField(max_length=64)
    person_id = models.BigIntegerField(null=True, blank=True, help_text="Known that day (after merges: the kept id)")
    first_at = models.DateTimeField(help_text="The day's first page view: its attribution is the day's")
    # The time of the day's latest page view that has a person (the one person_id comes from). With
    # first_at it is what lets the pending page views be added to the row without reading the day's
    # views again (reports.rollups.visitor_batches). Empty on a row written before it existed while
    # person_id is set: such a row is computed again in full the first time a batch reaches it.
    last_known_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=30, blank=True)
    source = models.CharField(max_length=255, blank=True)
    medium = models.CharField(max_length=255, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    referrer_domain = models.CharField(max_length=253, blank=True)
    page_views = models.PositiveIntegerField(default=0)
    # The visitor's day before this one, and their last day known as a person before it (reports.rollups.
    # visitors): a visitor is counted once in a period by the row of their first day in it, the one whose
    # previous day falls before the period, so distinct visitors over a year are a count, not a hash of
    # every visitor-day.
    previous_day = models.DateField(null=True, blank=True)
    previous_known_day = models.DateField(null=True, blank=True)

    class Meta:
        # Visitor first: a visitor's days are found together (their previous days, a person's days).
        constraints = [models.UniqueConstraint(fields=["visitor_id", "day"], name="reports_dailyvisitor_visitor_day")]
        indexes = [
            # Distinct visitors and known visitors of a period, from the index alone; also any read of a
            # period's rows (channel quality's visitors): a separate (day, channel) index cost every
            # page-view batch an index write and was no faster for those reads (docs/reports.md).
            models.Index(
                fields=["day", "previous_day", "previous_known_day", "person_id"], name="reports_dailyvisitor_returns"
            ),
            # A person merged away or erased: their visitor-days are found and recomputed (reports.rollups).
            models.Index(
                fields=["person_id"], name="reports_dailyvisitor_person", condition=models.Q(person_id__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.visitor_id} on {self.day}"


class DailyVisitorCount(Record):
    """How many visitor-days of a day follow a given previous day: DailyVisitor pre-counted, so a period's
    distinct visitors are a sum over a few hundred rows a day, not a count over every visitor-day.

    A visitor is counted in a period by the row of their first day in it, the one whose previous day
    falls before the period (DailyVisitor.previous_day), so the visitors of [start, end] are the sum of
    `visitors` over its days with `since` before start; known visitors likewise, over the rows known as
    a person, by their previous known day. Kept on PostgreSQL by statement-level triggers on
    reports_dailyvisitor (migration 0011): every write to it, whoever makes it, moves these counts in
    its own statement. Elsewhere the dashboard counts DailyVisitor itself (reports.dashboard)."""

    NEVER = "0001-01-01"  # `since` of a visitor's first day ever (no previous day)

    day = models.DateField()
    known = models.BooleanField(help_text="Rows known as a person, by their previous known day")
    since = models.DateField(help_text="The previous (known) day; 0001-01-01 for none")
    visitors = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "known", "since"], name="reports_visitorcount_unique")]

    def __str__(self):
        return f"{self.visitors} {'known ' if self.known else ''}visitors on {self.day} since {self.since}"


class ContentDay(Record):
    """One row per person, content object and day they downloaded it or filled in its form (PostgreSQL):
    the dashboard's top content without reading the interactions. Kept by the rollups' people round
    (reports.rollups.content): a person's rows are written again whenever they are marked changed, so
    their owner (a rep's scope) and whether they are counted at all (test and competitor people are
    not) follow them. `previous_day`: the person's day before this one with the same object, so the
    distinct people of a period are the rows of its days whose previous day falls before it."""

    day = models.DateField()
    person_id = models.BigIntegerField()
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    owner_id = models.BigIntegerField(default=0, help_text="The person's owner (user id); 0 for nobody")
    label = models.CharField(max_length=255, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    form_fills = models.PositiveIntegerField(default=0)
    previous_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "object_type", "object_id", "day"], name="reports_contentday_unique"
            )
        ]

    def __str__(self):
        return f"PID-{self.person_id} and {self.object_type} {self.object_id} on {self.day}"


class ContentCount(Record):
    """ContentDay pre-counted per (day, object, owner, previous day) by PostgreSQL triggers (migration
    0012): a year's top content is a sum over these rows. `label` is the largest label seen (it does not
    shrink when rows go)."""

    day = models.DateField()
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    owner_id = models.BigIntegerField(default=0)
    since = models.DateField(help_text="The previous day with the object; 0001-01-01 for none")
    people = models.IntegerField(default=0)
    downloads = models.IntegerField(default=0)
    form_fills = models.IntegerField(default=0)
    label = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "object_type", "object_id", "owner_id", "since"], name="reports_contentcount_unique"
            )
        ]

    def __str__(self):
        return f"{self.object_type} {self.object_id} on {self.day}: {self.people} people"


class DigestSubscription(Record):
    """A user who gets the dashboard's numbers by email every week (reports.digest)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_digest")
    created_at = models.DateTimeField(auto_now_add=True)
    # The Monday of the last week sent: a sweep that runs twice sends once.
    last_sent_for = models.DateField(null=True, blank=True)

    def __str__(self):
        return f"Weekly digest for {self.user}"


class RollupDirtyPerson(Record):
    """A person whose journey must be computed again (reports.rollups): written by the lead store's
    signals, emptied by the sweep. A table, not a cache set: a worker that dies loses nothing."""

    person_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField()

    def __str__(self):
        return f"PID-{self.person_id} to refresh"


class RollupDirtyVisitorDay(Record):
    """A visitor's day to compute again from its page views: an erased person's views, or a batch whose
    rollup failed with the page views' write (reports.rollups)."""

    visitor_id = models.CharField(max_length=64)
    day = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visitor_id", "day"], name="reports_dirtyvisitorday_unique")]

    def __str__(self):
        return f"{self.visitor_id} on {self.day} to refresh"


class PendingPageView(Record):
    """A page view the writer stored and the sweep has not yet added to its visitor-day (reports.rollups.
    visitor_batches). The writer records its batch's ids here, in the views' own transaction, and does
    nothing more: adding a batch to DailyVisitor cost the writer 13-17% of its time (the bar is under 10%,
    docs/reports.md). The sweep takes the ids, reads the views as they are then (their person may have
    changed, or they may be gone), adds them and forgets the ids, in one transaction. Until then every
    full computation of a day leaves these views out, so none is counted twice."""

    interaction_id = models.BigIntegerField(primary_key=True)

    def __str__(self):
        return f"Page view {self.interaction_id} to add"


class RollupWatermark(Record):
    """How far a rollup has looked at the raw rows: "everybody changed" (a full rescore) is caught up
    from here by what changed since, not by recomputing a million journeys."""

    name = models.CharField(max_length=40, primary_key=True)
    pending = models.BooleanField(default=False, help_text="A change to everybody is waiting for the sweep")
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Rows changed since then are looked at")
    last_transition_id = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} checked at {self.checked_at}"


# The attribution models kept in the credit rollup, as (model, half-life in days or None) -> column
# prefix. Time decay offers these half-lives only: any other would mean crediting every touch again when
# asked (half a minute at a million people), and the report must answer in under a second. The order is
# the order of the rollup's columns.
KEPT_ATTRIBUTION = {
    ("first_touch", None): "first_touch",
    ("last_touch", None): "last_touch",
    ("linear", None): "linear",
    ("u_shaped", None): "u_shaped",
    ("w_shaped", None): "w_shaped",
    ("time_decay", 7): "decay_7",
    ("time_decay", 14): "decay_14",
    ("time_decay", 30): "decay_30",
    ("time_decay", 3): "decay_3",
    ("time_decay", 60): "decay_60",
    ("time_decay", 90): "decay_90",
}


class AttributionCredit(models.Model):
    """Credit earned by one touch key (a channel, campaign, content item or event) for one kind of
    conversion on one day, summed over the people of one owner: the attribution report's rollup.

    A quarter is a sum over these rows (a few hundred thousand at a million people), not a crediting
    of every conversion's touches. Credit is in millionths of a conversion and amounts in cents, as
    whole numbers, so the incremental updates add and subtract exactly.
    """

    day = models.DateField(help_text="The conversion's day in the site's time zone")
    kind = models.CharField(max_length=20, help_text="reports.attribution.conversions: new_person, mql, ...")
    dimension = models.CharField(max_length=10, help_text="channel, campaign, content or event")
    key = models.CharField(max_length=300)
    label = models.CharField(max_length=300)
    owner_id = models.BigIntegerField(default=0, help_text="The people's owner (user id); 0 for nobody")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "dimension", "key", "owner_id"], name="reports_attributioncredit_unique"
            )
        ]
        indexes = [models.Index(fields=["owner_id", "day"], name="reports_attribution_owner")]

    def __str__(self):
        return f"{self.kind} credit to {self.dimension} {self.key} on {self.day}"


for _prefix in KEPT_ATTRIBUTION.values():
    AttributionCredit.add_to_class(f"{_prefix}_credit", models.BigIntegerField(default=0))
    AttributionCredit.add_to_class(f"{_prefix}_amount", models.BigIntegerField(default=0))


class AttributionPath(models.Model):
    """One person's credit was computed (their rows in PersonCredit are current): locked while they are
    computed again, so two workers never take the same person's credit away twice. No foreign key: the
    row must outlive the person whose credit it takes away."""

    person_id = models.BigIntegerField(primary_key=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Attribution credit of PID-{self.person_id}"


class PersonCredit(models.Model):
    """What one person's conversions of one kind on one day gave one touch key, by every kept model: the
    rows AttributionCredit sums, kept per person.

    Two uses. The sweep takes a person's rows away from AttributionCredit before adding their new credit
    (exact, however often they change). And a report narrowed by journey filters (industry, country, how
    they came...) sums the filtered people's rows over the period in SQL, which AttributionCredit (keyed by
    owner only) cannot answer. Zero is stored as NULL (a bit, not eight bytes): most rows credit only some
    models, and only opportunities and won deals have amounts."""

    pk = models.CompositePrimaryKey("person_id", "day", "kind", "dimension", "key")
    person_id = models.BigIntegerField()
    day = models.DateField(help_text="The conversion's day in the site's time zone")
    kind = models.CharField(max_length=20)
    dimension = models.CharField(max_length=10)
    key = models.CharField(max_length=300)
    owner_id = models.BigIntegerField(default=0, help_text="The person's owner then (user id); 0 for nobody")

    class Meta:
        indexes = [models.Index(fields=["day"], name="reports_personcredit_day")]

    def __str__(self):
        return f"PID-{self.person_id}: {self.kind} credit to {self.dimension} {self.key} on {self.day}"


for _prefix in KEPT_ATTRIBUTION.values():
    PersonCredit.add_to_class(f"{_prefix}_credit", models.BigIntegerField(null=True))
    PersonCredit.add_to_class(f"{_prefix}_amount", models.BigIntegerField(null=True))
