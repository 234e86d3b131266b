"""The funnel and velocity report (Reports → Funnel): cohort and period funnels, stage moves, velocity,
recycling. Numbers from reports.funnel; every people count links to the sales list of those people."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from leads.models import Person, Stage

from . import charts
from .channels import CHANNELS
from .drilldown import sales_list_url
from .funnel import STAGES, cohort_funnel, period_figures, stage_moves
from .tables import Column, Table
from .views_base import ReportView

STAGE_LABELS = dict(Stage.choices)


def _funnel_table(name, title, steps, note, link, *, of_new_people=True) -> Table:
    columns = [
        Column("step", "Step"),
        Column("people", "People", "count"),
        Column("rate_from_previous", "Of the step before", "rate"),
    ]
    if of_new_people:  # a cohort's conversion; a period's flows are not the same people
        columns.append(Column("rate_from_first", "Of new people", "rate"))
    table = Table(name, title, columns, note=note)
    for index, step in enumerate(steps):
        table.rows.append(
            {
                "step": step.label,
                "people": step.people,
                "rate_from_previous": step.rate_from_previous,
                "rate_from_first": step.rate_from_first,
            }
        )
        table.links[(index, "people")] = link(step.key)
    return table


class FunnelReportView(ReportView):
    title = "Funnel and velocity"
    template_name = "reports/funnel.html"
    default_period = "90d"

    def report(self, request, period, filters) -> dict:
        user = request.user

        def cohort_link(key):
            return sales_list_url(filters, period, None if key == "created" else key, cohort=True)

        def period_link(key):
            if key == "created":
                return sales_list_url(filters, period, None, cohort=True)
            return sales_list_url(filters, period, key, cohort=False)

        cohort = cohort_funnel(user, period, filters)
        in_period = period_figures(user, period, filters)  # the period funnel, velocity, recycling: one pass
        flows = in_period.steps
        cohort_table = _funnel_table(
            "cohort",
            "By cohort: people created in the period, and the stages they reached so far",
            cohort,
            "Cohort: the people created in the period; a stage counts when they reached it or a later one, "
            "at any time up to now. Recent cohorts are incomplete: their people have not had the time to "
            "progress yet, so their rates rise for weeks after the period ends.",
            cohort_link,
        )
        period_table = _funnel_table(
            "period",
            "By period: people who first reached each stage during the period",
            flows,
            "Period: each row counts the people who first reached that stage (or skipped past it) during "
            "the period, whenever they were created. The rates compare this period's flows (this period's "
            "SQLs against this period's MQLs), which are not the same people: use the cohort table for "
            "conversion.",
            period_link,
            of_new_people=False,
        )
        moves = stage_moves(user, period, filters)
        moves_table = Table(
            "moves",
            "Moves into each stage during the period",
            [Column("stage", "Stage"), Column("moves", "Moves into it", "count")],
            rows=[
                {"stage": STAGE_LABELS.get(stage, stage), "moves": moves.get(stage, 0)}
                for stage in [key for key, _, _ in STAGES] + ["nurture", "disqualified"]
            ],
            note="Every move in the stage history during the period: a person moved into a stage twice counts "
            "twice, a stage skipped is not a move into it. Moves are not people, so they do not link to a list.",
        )
        speed = in_period.velocity
        velocity_table = Table(
            "velocity",
            "Velocity: days from stage to stage",
            [
                Column("step", "Step"),
                Column("people", "People", "count"),
                Column("median", "Median days", "days"),
                Column("p80", "80% within (days)", "days"),
            ],
            note="For the people who reached the later stage of each step during the period: the days from "
            "the earlier stage (the first time they reached it) to the later one. A skipped stage counts as "
            "reached at the same moment, so 0 days. 80% within: 80% of those people took at most this long.",
        )
        for index, item in enumerate(speed):
            velocity_table.rows.append(
                {"step": item.label, "people": item.people, "median": item.median_days, "p80": item.p80_days}
            )
            velocity_table.links[(index, "people")] = sales_list_url(filters, period, item.reached, cohort=False)
        recycled = in_period.recycling
        recycling_table = Table(
            "recycling",
            "Recycling",
            [
                Column("what", "People"),
                Column("people", "Count", "count"),
                Column("rate", "Of the recycled", "rate"),
            ],
            rows=[
                {"what": "Recycled during the period", "people": recycled.recycled, "rate": None},
                {"what": "Of those, came back to MQL or later", "people": recycled.came_back, "rate": recycled.rate},
            ],
            links={
                (0, "people"): sales_list_url(filters, period, "recycled", cohort=False),
                (1, "people"): sales_list_url(filters, period, "recycled", cohort=False, returned=True),
            },
            note="Recycled: first moved back to nurture or disqualified after having reached MQL, during the "
            "period. Came back: reached MQL or later again since then, at any time up to now.",
        )
        return {
            "funnel_chart": charts.funnel_chart(
                [(step.label, step.people) for step in cohort], title="Cohort funnel: people created in the period"
            ),
            "tables": [cohort_table, period_table, moves_table, velocity_table, recycling_table],
            "filter_choices": filter_choices(),
        }


def filter_choices() -> dict:
    """What the filter form offers beside free text: the channels, and the users who own someone (an
    EXISTS on the people's owner index, not a scan of the journeys)."""
    owns = Person.objects.filter(owner=OuterRef("pk"))
    owners = get_user_model().objects.filter(Exists(owns)).order_by("first_name", "last_name", "username")[:200]
    return {
        "channels": CHANNELS,
        "owners": [(user.pk, user.get_full_name() or user.get_username()) for user in owners],
    }
