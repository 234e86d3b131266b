"""Channel quality (Reports → Channels): per channel, UTM source, medium, campaign or referrer, the people
of the period's cohort, what they became and were worth, with visitors beside them for those who see
traffic. Numbers from reports.channel_quality; every people count links to the sales list of those people."""

from . import charts
from .channel_quality import GROUPS, SORTS, channel_rows, options_from_request, visitors_shown
from .drilldown import sales_list_url
from .funnel import STAGES
from .tables import Column, Table
from .views_base import ReportView
from .views_funnel import filter_choices

COUNT_COLUMNS = ["people", *(key for key, _, _ in STAGES)]  # the people counts: each links to its list


class ChannelQualityView(ReportView):
    title = "Channel quality"
    template_name = "reports/channels.html"
    default_period = "90d"

    def report(self, request, period, filters) -> dict:
        options = options_from_request(request.GET)
        group_label = GROUPS[options.group][1]
        suffix = GROUPS[options.group][2]
        rows = channel_rows(request.user, period, filters, options)
        shown = visitors_shown(request.user, filters)
        columns = [Column("group", group_label)]
        if shown:
            columns += [Column("visitors", "Visitors", "count")]
        columns += [Column("people", "People", "count")]
        if shown:
            columns += [Column("visit_to_person", "Visit → person", "rate")]
        columns += [
            Column("person_to_customer", "Person → customer", "rate"),
            Column("customer_index", "Customer rate vs all"),
            Column("mql", "MQL", "count"),
            Column("sql", "SQL", "count"),
            Column("opportunity", "Opportunities", "count"),
            Column("customer", "Customers", "count"),
            Column("person_to_mql", "Person → MQL", "rate"),
            Column("mql_to_sql", "MQL → SQL", "rate"),
            Column("sql_to_opportunity", "SQL → opportunity", "rate"),
            Column("opportunity_to_customer", "Opportunity → customer", "rate"),
            Column("pipeline", "Pipeline", "money"),
            Column("revenue", "Won revenue", "money"),
            Column("days_to_mql", "Median days to MQL", "days"),
            Column("days_to_customer", "Median days to customer", "days"),
        ]
        note = (
            "People: created in the period, grouped by how they first came (their first lead's UTM and referrer). "
            "MQL to customers, pipeline and revenue: what those people reached and are worth so far (recent "
            "cohorts are incomplete). Rates: of the step before. Customer rate vs all: this row's person → "
            "customer rate against every row's together (2.0x converts twice as well). "
        )
        if shown:
            note += (
                "Visitors: distinct visitors whose first page view of a day came this way during the period; "
                "visit → person compares the two, so a row with few visitors who become customers stands out "
                "from one with many who don't."
            )
        else:
            note += "Visitors are shown to users who see everybody, and only with channel or UTM filters."
        table = Table("channels", f"Channel quality by {group_label.lower()}", columns, note=note)
        for index, row in enumerate(rows):
            table.rows.append(row)
            for key in COUNT_COLUMNS:
                table.links[(index, key)] = sales_list_url(
                    filters, period, None if key == "people" else key, cohort=True, extra={suffix: row["group"]}
                )
        bars = rows[:12]
        return {
            "people_chart": charts.bar_chart(
                [(str(row["group"]), row["people"]) for row in bars], title=f"People by {group_label.lower()}"
            ),
            "revenue_chart": charts.bar_chart(
                [(str(row["group"]), row["revenue"]) for row in bars],
                title=f"Won revenue by {group_label.lower()}",
                value_kind="money",
            ),
            "tables": [table],
            "filter_choices": filter_choices(),
            "channel_options": {
                "group": options.group,
                "sort": options.sort,
                "groups": [(key, label) for key, (_, label, _) in GROUPS.items()],
                "sorts": [(key, label) for key, (label, _) in SORTS.items() if key != "visitors" or shown],
            },
            "report_query": {**period.query(), **filters.query(), "group": options.group, "sort": options.sort},
            "extra_query": {"group": options.group, "sort": options.sort},
        }
