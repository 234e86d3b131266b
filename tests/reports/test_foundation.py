"""The pieces every report shares: channels (Python and SQL agree), periods, filters, who sees what."""

from datetime import date

import pytest
from django.db.models import CharField, Value
from django.http import QueryDict

from leads.models import Person
from reports import channels
from reports.access import can_see_content_reports, can_see_reports, journeys_for, sees_everybody
from reports.filters import filters_from_request
from reports.models import PersonJourney
from reports.periods import Period, ReportInputError, period_from_request
from sales.roles import EDITOR, MARKETER, SALES_MANAGER, SALES_REP, roles_ensure
from tests.factories.leads import PersonFactory, UserFactory

TOUCHES = [
    # (source, medium, referrer domain) -> channel
    (("google", "cpc", ""), channels.PAID_SEARCH),
    (("linkedin", "cpc", ""), channels.PAID_SOCIAL),
    (("LinkedIn", "paid_social", ""), channels.PAID_SOCIAL),
    (("linkedin", "", ""), channels.SOCIAL),
    (("linkedin", "social", ""), channels.SOCIAL),
    (("newsletter", "email", ""), channels.EMAIL),
    (("partner-portal", "display", ""), channels.DISPLAY),
    (("bing", "organic", ""), channels.ORGANIC_SEARCH),
    (("google", "", ""), channels.ORGANIC_SEARCH),
    (("g2", "referral", ""), channels.REFERRAL),
    (("q4-banking", "", ""), channels.OTHER_CAMPAIGN),
    (("", "", "www.google.de"), channels.ORGANIC_SEARCH),
    (("", "", "lnkd.in"), channels.SOCIAL),
    (("", "", "news.ycombinator.com"), channels.REFERRAL),
    (("", "", ""), channels.DIRECT),
    (("", "webinar", "google.com"), channels.OTHER_CAMPAIGN),  # a tagged link wins over where it came from
]


@pytest.mark.parametrize(("touch", "expected"), TOUCHES)
def test_channel_of_reads_medium_source_and_referrer(touch, expected):
    source, medium, referrer = touch
    assert channels.channel_of(source=source, medium=medium, referrer_domain=referrer) == expected


@pytest.mark.django_db
def test_the_sql_reading_of_channels_agrees_with_the_python_one():
    PersonFactory()
    lowered, case = channels.channel_expression("s", "m", "r")
    for (source, medium, referrer), expected in TOUCHES:
        got = (
            Person.objects.annotate(
                s=Value(source, CharField()), m=Value(medium, CharField()), r=Value(referrer, CharField())
            )
            .annotate(**lowered)
            .annotate(channel=case)
            .values_list("channel", flat=True)
            .first()
        )
        assert got == expected, (source, medium, referrer)


def test_periods_read_presets_and_custom_ranges():
    today = date(2026, 11, 18)
    assert period_from_request(QueryDict("period=7d"), today=today) == Period(date(2026, 11, 12), today, "7d")
    quarter = period_from_request(QueryDict("period=last_quarter"), today=today)
    assert (quarter.start, quarter.end) == (date(2026, 7, 1), date(2026, 9, 30))
    custom = period_from_request(QueryDict("from=2026-01-01&to=2026-03-31"), today=today)
    assert custom.days == 90 and custom.bucket == "week"
    assert custom.previous() == Period(date(2025, 10, 3), date(2025, 12, 31), "custom")
    assert period_from_request(QueryDict(""), today=today).preset == "30d"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=forever", "period"),
        ("period=custom&to=2026-01-01", "from"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-03-01&to=2026-02-01", "to"),
        ("from=2000-01-01&to=2026-01-01", "to"),
        ("from=2026-01-01T00:00:00&to=2026-02-01", "from"),
    ],
)
def test_a_wrong_period_names_its_field(query, field):
    with pytest.raises(ReportInputError) as caught:
        period_from_request(QueryDict(query), today=date(2026, 11, 18))
    assert caught.value.field == field


def test_a_period_cuts_its_trend_line_into_buckets():
    month = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert month.bucket == "day" and len(month.buckets()) == 30
    year = Period(date(2026, 1, 15), date(2026, 12, 31))
    assert year.bucket == "month" and year.buckets()[0] == date(2026, 1, 15) and year.buckets()[1] == date(2026, 2, 1)
    assert year.bucket_of(date(2026, 3, 17)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("channel=Carrier pigeon", "channel"),
        ("country=Germany", "country"),
        ("owner=abc", "owner"),
        ("form=page", "form"),
        ("source=" + "x" * 300, "source"),
        ("campaign=a%00b", "campaign"),
    ],
)
def test_a_wrong_filter_names_its_field(query, field):
    with pytest.raises(ReportInputError) as caught:
        filters_from_request(QueryDict(query))
    assert caught.value.field == field


def test_filters_read_back_into_the_same_query():
    filters = filters_from_request(QueryDict("channel=Social&country=de&owner=7&form=content:12&campaign=q4"))
    assert filters.query() == {
        "channel": "Social",
        "campaign": "q4",
        "form": "content:12",
        "country": "DE",
        "owner": "7",
    }
    assert filters_from_request(QueryDict(filters.query_string())) == filters


@pytest.mark.django_db
def test_who_sees_reports_and_over_whom():
    roles = roles_ensure()

    def user(role):
        made = UserFactory()
        made.groups.add(roles[role])
        return made

    marketer, editor, rep, manager = user(MARKETER), user(EDITOR), user(SALES_REP), user(SALES_MANAGER)
    assert can_see_reports(marketer) and can_see_reports(rep) and can_see_reports(manager)
    assert not can_see_reports(editor) and can_see_content_reports(editor)
    assert sees_everybody(marketer) and not sees_everybody(rep)

    mine, theirs, test_person = PersonFactory(owner=rep), PersonFactory(), PersonFactory(owner=rep, is_test=True)
    for person in (mine, theirs, test_person):
        PersonJourney.objects.create(
            person=person, created_at=person.created_at, owner=person.owner, is_excluded=person.is_test
        )
    assert list(journeys_for(rep).values_list("person_id", flat=True)) == [mine.pk]
    assert set(journeys_for(marketer).values_list("person_id", flat=True)) == {mine.pk, theirs.pk}


def test_the_period_form_tells_a_changed_preset_from_changed_dates():
    today = date(2026, 11, 18)
    # The page showed the last 30 days; the marketer picked "Last 7 days" (the dates still say 30).
    picked = period_from_request(QueryDict("period=7d&shown=30d&from=2026-10-20&to=2026-11-18"), today=today)
    assert picked == Period(date(2026, 11, 12), today, "7d")
    # ...or kept the preset and typed other dates: a custom period.
    typed = period_from_request(QueryDict("period=30d&shown=30d&from=2026-10-01&to=2026-10-31"), today=today)
    assert typed == Period(date(2026, 10, 1), date(2026, 10, 31), "custom")
    # ...or changed nothing.
    same = period_from_request(QueryDict("period=30d&shown=30d&from=2026-10-20&to=2026-11-18"), today=today)
    assert same.preset == "30d"
    # Typed dates are checked like any custom period.
    with pytest.raises(ReportInputError) as caught:
        period_from_request(QueryDict("period=30d&shown=30d&from=2026-10-31&to=2026-10-01"), today=today)
    assert caught.value.field == "to"
