"""The people, companies and leads lists: scope, masking, filters, search, sorting, keyset pages, bulk selection.

Rows are chosen by sales.selectors.list_queryset (the listing, exports and saved filters share it), so
most filters are checked there, and the screens over HTTP as each role sees them.
"""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import Company, Person
from sales import pagination, selectors
from sales.filter_choices import owner_choices, source_choices
from sales.filters import PeopleFilterSet, period_start
from sales.selectors import list_filter_errors, list_ordering, list_queryset
from tests.factories.leads import CompanyFactory, InteractionFactory, LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE, COMPANIES, LEADS = "/admin/leads/person/", "/admin/leads/company/", "/admin/leads/lead/"


@pytest.fixture(autouse=True)
def _fresh_choices():
    cache.clear()  # the filters' choices are cached for a minute; each test has its own database rows
    yield
    cache.clear()


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def names(queryset) -> set[str]:
    return {person.first_name for person in queryset}


def people(user, query="") -> set[str]:
    return names(list_queryset("people", user=user, params=query))


def listed_ids(html: str) -> list[int]:
    """The person/company/lead ids of a listing's rows, in order."""
    return [int(pk) for pk in re.findall(r'<span id="(?:people|companies|leads)_(\d+)_title"', html)]


def link(html: str, name: str) -> str | None:
    match = re.search(rf'href="([^"]+)"[^>]*data-keyset-{name}', html)
    return unescape(match.group(1)) if match else None


def viewer(django_user_model, username="viewer", *codenames):
    """A user who may open the lead store's lists and nothing else (no role)."""
    user = django_user_model.objects.create_user(username, f"{username}@signalpage.test", "pw")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["access_admin", "view_person", "view_company", "view_lead", *codenames]
        )
    )
    return user


# --- Scope: who sees whom -------------------------------------------------------------------------------
def test_a_rep_sees_only_their_own_people(client, org, book):
    client.force_login(org["rita"])
    html = html_of(client.get(PEOPLE))
    assert "RitaLead1" in html and "RitaLead2" in html
    assert not {"RaviLead1", "ErinLead1", "Orphan"} & set(re.findall(r"\w+", html))
    assert "2 people" in html


def test_a_manager_sees_their_team(client, org, book):
    client.force_login(org["mona"])
    html = html_of(client.get(PEOPLE))
    assert {"RitaLead1", "RitaLead2", "RaviLead1", "RaviLead2"} <= set(re.findall(r"\w+", html))
    assert "ErinLead1" not in html and "Orphan" not in html


@pytest.mark.parametrize("role", ["mark", "ada"])
def test_marketing_and_administrators_see_everybody(client, org, book, role):
    client.force_login(org[role])
    html = html_of(client.get(PEOPLE))
    assert all(person.first_name in html for person in book.values())
    assert "7 people" in html


@pytest.mark.parametrize("url", [PEOPLE, COMPANIES, LEADS, PEOPLE + "results/"])
def test_an_editor_gets_no_list_at_all(client, org, book, url):
    client.force_login(org["eddie"])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_companies_and_leads_follow_the_people_in_scope(client, org, book):
    LeadFactory(person=book["rita1"], origin_label="Rita's whitepaper")
    LeadFactory(person=book["erin1"], origin_label="Erin's webinar")
    CompanyFactory(name="Untouched Ltd")
    client.force_login(org["rita"])
    companies = html_of(client.get(COMPANIES))
    assert "Meridian Bank" in companies and "Atlas Health" in companies and "Untouched Ltd" not in companies
    leads = html_of(client.get(LEADS))
    assert "Rita&#x27;s whitepaper" in leads and "Erin&#x27;s webinar" not in leads
    client.force_login(org["ada"])
    assert "Untouched Ltd" in html_of(client.get(COMPANIES))


def test_scope_also_holds_for_list_queryset(org, book):
    assert people(org["rita"]) == {"RitaLead1", "RitaLead2"}
    assert people(org["erin"]) == {"ErinLead1", "ErinLead2"}
    assert people(org["eddie"]) == set()  # no role that sees people: nobody, not everybody
    assert len(people(org["ada"])) == 7


# --- Masking ---------------------------------------------------------------------------------------------
def test_a_rep_without_the_personal_data_right_sees_masked_emails_everywhere(client, org, book):
    LeadFactory(person=book["rita1"])
    client.force_login(org["rita"])
    html = html_of(client.get(PEOPLE))
    assert "r***@meridian-bank.example" in html
    assert "rita.lead1@" not in html and "rita.lead2@" not in html  # neither in cells nor in aria-labels
    assert "+4930123456" not in html
    leads = html_of(client.get(LEADS))
    assert "rita.lead1@" not in leads and "RitaLead1 Example" in leads


def test_a_manager_with_the_right_sees_them(client, org, book):
    client.force_login(org["mona"])
    html = html_of(client.get(PEOPLE))
    assert "rita.lead1@meridian-bank.example" in html


def test_someone_without_a_name_is_listed_by_masked_email(client, org, book):
    PersonFactory(email="x.anonymous@quiet.example", first_name="", last_name="", owner=org["rita"])
    client.force_login(org["rita"])
    html = html_of(client.get(PEOPLE))
    assert "x***@quiet.example" in html and "x.anonymous" not in html


# --- Filters ---------------------------------------------------------------------------------------------
@pytest.fixture
def captures(org, book):
    """Whitepaper 42 taken by Rita's first (twice) and Ravi's first; event 7 by Erin's second."""
    now = timezone.now()
    first = LeadFactory(person=book["rita1"], received_at=now - timedelta(days=3), utm_campaign="Spring-Launch")
    LeadFactory(person=book["rita1"], received_at=now - timedelta(days=1), verdict="flagged")
    LeadFactory(person=book["ravi1"], received_at=now - timedelta(days=2), utm_campaign="other")
    LeadFactory(
        person=book["erin2"],
        origin_type="event",
        origin_id="7",
        origin_label="RevOps Summit",
        received_at=now - timedelta(days=40),
    )
    return {"first": first}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("source=content:42", {"RitaLead1", "RaviLead1"}),
        ("source=event:7", {"ErinLead2"}),
        ("source=content:999", set()),  # well-formed, nobody took it (yet)
        ("grade=A1", {"RitaLead1", "RaviLead1", "ErinLead1"}),
        ("grade=a1&grade=B2", {"RitaLead1", "RitaLead2", "RaviLead1", "RaviLead2", "ErinLead1", "ErinLead2"}),
        ("score_min=100", {"RitaLead1", "RaviLead1", "ErinLead1"}),
        ("score_max=80", {"RitaLead2", "RaviLead2", "ErinLead2", "Orphan"}),
        ("score_min=50&score_max=80", {"RitaLead2", "RaviLead2", "ErinLead2"}),
        ("stage=lead", {"Orphan"}),
        (
            "stage=lead&stage=mql",
            {"RitaLead1", "RitaLead2", "RaviLead1", "RaviLead2", "ErinLead1", "ErinLead2", "Orphan"},
        ),
        ("owner=none", {"Orphan"}),
        ("industry=banking", {"RitaLead1", "RaviLead1", "ErinLead1"}),
        ("industry=healthcare&company_size=1000-4999", {"RitaLead2", "RaviLead2", "ErinLead2", "Orphan"}),
        ("company_size=5000%2B", {"RitaLead1", "RaviLead1", "ErinLead1"}),
        ("utm_campaign=spring-launch", {"RitaLead1"}),  # case-insensitive
        ("utm_campaign=spring", set()),  # the campaign, not a part of it
        ("verdict=flagged", {"RitaLead1"}),
        ("source=content:42&verdict=clean", {"RitaLead1", "RaviLead1"}),
        ("source=content:42&grade=A1&stage=mql&industry=banking", {"RitaLead1", "RaviLead1"}),
    ],
)
def test_people_filters(org, captures, query, expected):
    assert people(org["ada"], query) == expected
    assert list_filter_errors("people", user=org["ada"], params=query) == {}


def test_list_queryset_takes_a_querydict_a_query_string_or_a_dict(org, book):
    expected = {"RitaLead1", "RaviLead1", "ErinLead1", "RitaLead2"}
    query = f"grade=A1&grade=B2&owner={org['rita'].pk}"
    assert people(org["ada"], QueryDict("grade=A1&company_size=5000%2B")) == expected - {"RitaLead2"}
    assert people(org["ada"], query) == people(org["ada"], QueryDict(query)) == {"RitaLead1", "RitaLead2"}
    # A repeated single choice means its last value, as in a query string.
    assert people(org["ada"], {"grade": ["A1", "B2"], "owner": ["ignored", org["rita"].pk]}) == {
        "RitaLead1",
        "RitaLead2",
    }
    with pytest.raises(ValueError, match="Unknown list"):
        list_queryset("everything", user=org["ada"], params="")


def test_owner_filter_by_id_and_me(org, book):
    assert people(org["ada"], f"owner={org['ravi'].pk}") == {"RaviLead1", "RaviLead2"}
    assert people(org["erin"], "owner=me") == {"ErinLead1", "ErinLead2"}
    assert people(org["rita"], "owner=me") == {"RitaLead1", "RitaLead2"}  # the same filter, whoever applies it
    assert people(org["rita"], f"owner={org['erin'].pk}") == set()  # a filter never widens the scope


def test_country_filter_takes_several(org, book):
    PersonFactory(first_name="Fleur", country="FR")
    PersonFactory(first_name="Jonas", country="at")
    Person.objects.filter(first_name="Jonas").update(country="AT")
    assert people(org["ada"], "country=FR&country=at") == {"Fleur", "Jonas"}


def test_a_person_with_many_leads_of_a_source_is_listed_once_with_the_first_conversion(org, book, captures):
    rows = list(list_queryset("people", user=org["ada"], params="source=content:42"))
    assert [person.first_name for person in rows].count("RitaLead1") == 1
    rita1 = next(person for person in rows if person.first_name == "RitaLead1")
    assert rita1.converted_at == captures["first"].received_at
    assert [person.first_name for person in rows] == ["RaviLead1", "RitaLead1"]  # newest conversion first


def test_period_on_a_source_is_the_conversion_time(org, book, captures):
    Person.objects.update(created_at=timezone.now() - timedelta(days=400))  # the people are old, the leads new
    assert people(org["ada"], "source=content:42&period=last_7_days") == {"RitaLead1", "RaviLead1"}
    assert people(org["ada"], "period=last_7_days") == set()
    assert people(org["ada"], "source=event:7&period=last_30_days") == set()
    assert people(org["ada"], "source=event:7&period=last_90_days") == {"ErinLead2"}


@pytest.fixture
def calendar(org):
    """People created across the calendar around Wednesday 11 March 2026, noon UTC."""
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    dates = {
        "monday": (2026, 3, 9, 0, 30),
        "sunday": (2026, 3, 8, 23, 0),
        "march4": (2026, 3, 4, 9),
        "feb15": (2026, 2, 15, 9),
        "jan5": (2026, 1, 5, 9),
        "dec20": (2025, 12, 20, 9),
        "nov1": (2025, 11, 1, 9),
        "today": (2026, 3, 11, 8),
    }
    for name, parts in dates.items():
        person = PersonFactory(first_name=name)
        Person.objects.filter(pk=person.pk).update(created_at=datetime(*parts, tzinfo=UTC))
    return now


@pytest.mark.parametrize(
    "period, expected",
    [
        ("today", {"today"}),
        ("this_week", {"today", "monday"}),
        ("last_7_days", {"today", "monday", "sunday"}),
        ("this_month", {"today", "monday", "sunday", "march4"}),
        ("last_30_days", {"today", "monday", "sunday", "march4", "feb15"}),
        ("this_quarter", {"today", "monday", "sunday", "march4", "feb15", "jan5"}),
        ("last_90_days", {"today", "monday", "sunday", "march4", "feb15", "jan5", "dec20"}),
        ("this_year", {"today", "monday", "sunday", "march4", "feb15", "jan5"}),
    ],
)
def test_periods_are_relative_to_now(org, calendar, period, expected, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: calendar)
    assert people(org["ada"], f"period={period}") == expected


def test_period_start_next_week_is_next_monday():
    assert period_start("this_week", datetime(2026, 3, 17, 10, tzinfo=UTC)) == datetime(2026, 3, 16, tzinfo=UTC)


def test_date_range_is_inclusive(org, calendar):
    assert people(org["ada"], "date_from=2026-03-04&date_to=2026-03-09") == {"march4", "monday", "sunday"}
    assert people(org["ada"], "date_to=2025-12-20") == {"dec20", "nov1"}
    assert people(org["ada"], "date_from=2026-03-10&period=this_year") == {"today"}


def test_lead_list_filters(org, book, captures):
    def lids(query):
        return {lead.person.first_name for lead in list_queryset("leads", user=org["ada"], params=query)}

    assert lids("source=content:42") == {"RitaLead1", "RaviLead1"}
    assert len(list_queryset("leads", user=org["ada"], params="source=content:42")) == 3  # leads, not people
    assert lids("origin_type=event") == {"ErinLead2"}
    assert lids("period=last_7_days") == {"RitaLead1", "RaviLead1"}
    assert lids("grade=B2") == {"ErinLead2"}
    assert lids("verdict=flagged&utm_campaign=SPRING-LAUNCH") == set()
    assert lids("utm_campaign=SPRING-LAUNCH") == {"RitaLead1"}
    assert lids(f"owner={org['erin'].pk}&industry=healthcare&company_size=1000-4999") == {"ErinLead2"}
    assert lids("score_min=100&stage=mql&country=DE") == {"RitaLead1", "RaviLead1"}
    assert {lead.person.first_name for lead in list_queryset("leads", user=org["rita"], params="")} == {"RitaLead1"}


def test_scores_read_in_whole_points_rounded_as_on_the_persons_page(client, org):
    """Half a point rounds up, as the person's page does (Python's own rounding made 22.5 read 22 here)."""
    PersonFactory(first_name="Halfway", fit_score=10, interest_score=12.5, owner=org["rita"])
    PersonFactory(first_name="Below", fit_score=-5, interest_score=2.4, owner=org["rita"])
    client.force_login(org["rita"])
    html = html_of(client.get(PEOPLE))
    assert "23 <small>(10 + 13)</small>" in html and "-3 <small>(-5 + 2)</small>" in html
    # As numbers, not inside a timestamp's fraction of a second (14:22.537...).
    assert not re.search(r"\b(22|12)\.5\b", html)


def test_industries_read_by_name_in_the_lists_the_filter_and_its_chip(client, org, book):
    from tests.factories.snippets import IndustryFactory

    IndustryFactory(name="Banking & Financial Services", slug="banking")
    CompanyFactory(name="Estate Co", industry="real_estate")
    cache.clear()
    client.force_login(org["ada"])
    people = html_of(client.get(PEOPLE))
    meridian = re.search(r">Meridian Bank</a><div><small>([^<]*)</small>", people)
    assert meridian and unescape(meridian.group(1)) == "Banking & Financial Services"
    assert re.search(r'value="banking"[^>]*>\s*Banking &amp; Financial Services', people)  # the filter's choice
    assert re.search(r'value="real_estate"[^>]*>\s*Real estate', people)
    filtered = html_of(client.get(PEOPLE + "?industry=banking"))
    chip = re.search(r'class="w-pill__content".*?Industry:.*?<b class="w-ml-1">(.*?)</b>', filtered, re.S)
    assert chip and chip.group(1) == "Banking &amp; Financial Services"
    companies = html_of(client.get(COMPANIES))
    assert re.search(r"Meridian Bank.*?<td>Banking &amp; Financial Services</td>", companies, re.S)
    assert re.search(r"Estate Co.*?<td>Real estate</td>", companies, re.S)
    assert ">banking<" not in companies


def test_companies_filter_by_source_the_people_who_converted_there(client, org, book):
    """docs/sales.md says the companies list filters by source: it ignored it and listed every company."""
    LeadFactory(person=book["rita1"], origin_type="content", origin_id="42")  # Meridian Bank
    LeadFactory(person=book["erin2"], origin_type="event", origin_id="7")  # Atlas Health
    junk_co = CompanyFactory(name="Junk Co")
    LeadFactory(
        person=PersonFactory(company=junk_co, owner=org["rita"]),
        origin_type="content",
        origin_id="42",
        verdict="flagged",
    )

    def companies(user, query):
        return {company.name for company in list_queryset("companies", user=user, params=query)}

    assert companies(org["ada"], "source=content:42") == {"Meridian Bank"}
    assert companies(org["ada"], "source=event:7") == {"Atlas Health"}
    assert companies(org["ada"], "source=content:42&junk=include") == {"Meridian Bank", "Junk Co"}
    assert companies(org["ada"], "source=content:999") == set()
    # Only the people the user may see count: Erin's event is not Ravi's.
    assert companies(org["ravi"], "source=event:7") == set()
    assert companies(org["erin"], "source=event:7") == {"Atlas Health"}
    assert list_filter_errors("companies", user=org["ada"], params="source=zzz") == {
        "source": ["Choose a source such as content:42 (a whitepaper), event:7 or form:12."]
    }
    client.force_login(org["ada"])
    html = html_of(client.get(COMPANIES + "?source=content:42"))
    assert "Meridian Bank" in html and "Atlas Health" not in html and "Junk Co" not in html


def test_company_filters(org, book):
    meridian = Company.objects.get(name="Meridian Bank")
    Company.objects.filter(pk=meridian.pk).update(is_key_account=True, owner=org["erin"])
    CompanyFactory(name="Lonely Co", industry="retail", employee_band="1-49", country="FR")

    def companies(user, query):
        return {company.name for company in list_queryset("companies", user=user, params=query)}

    assert companies(org["ada"], "industry=retail") == {"Lonely Co"}
    assert companies(org["ada"], "company_size=5000%2B&company_size=1-49") == {"Meridian Bank", "Lonely Co"}
    assert companies(org["ada"], "country=gb") == {"Atlas Health"}
    assert companies(org["ada"], "is_key_account=true") == {"Meridian Bank"}
    assert companies(org["ada"], "owner=none") == {"Atlas Health", "Lonely Co"}
    assert companies(org["erin"], "owner=me") == {"Meridian Bank"}
    assert companies(org["ada"], "grade=A1") == {"Meridian Bank"}
    # "Has someone graded B2" counts only the people the user sees: Rita's B2 is at Atlas.
    assert companies(org["rita"], "grade=B2") == {"Atlas Health"}
    assert companies(org["rita"], "grade=A1") == {"Meridian Bank"}
    Person.objects.filter(owner=org["rita"], grade="A1").update(grade="C3")
    assert companies(org["rita"], "grade=A1") == set()  # Ravi's and Erin's A1 at Meridian are not hers


@pytest.mark.parametrize(
    "query, field",
    [
        ("score_min=abc", "score_min"),
        ("score_max=1e999", "score_max"),
        ("score_min=NaN", "score_min"),
        ("source=zzz", "source"),
        ("source=content:", "source"),
        ("source=content:42;DROP TABLE", "source"),
        ("owner=999999", "owner"),
        ("owner=-1", "owner"),
        ("owner=99999999999999999999999", "owner"),
        ("date_from=2026-13-45", "date_from"),
        ("date_from=0001-01-01", "date_from"),
        ("date_to=9999-12-31", "date_to"),
        ("date_from=2026-03-10&date_to=2026-03-01", "date_to"),
        ("score_min=90&score_max=10", "score_max"),
        ("grade=Z9", "grade"),
        ("stage=king", "stage"),
        ("period=forever", "period"),
        ("country=%3Cscript%3E", "country"),
        ("verdict=1%27%20OR%201=1", "verdict"),
        ("utm_campaign=" + "x" * 300, "utm_campaign"),
    ],
)
def test_malformed_values_are_an_error_on_their_field_and_the_rest_still_applies(client, org, book, query, field):
    assert list(list_filter_errors("people", user=org["ada"], params=query)) == [field]
    # That filter is left out; a valid one next to it still applies.
    assert people(org["ada"], query + "&company_size=1000-4999") == {"RitaLead2", "RaviLead2", "ErinLead2", "Orphan"}
    client.force_login(org["ada"])
    html = html_of(client.get(f"{PEOPLE}?{query}&company_size=1000-4999"))
    assert "ErinLead2" in html and "ErinLead1" not in html
    # Every filter has an (empty) errors box: the one with an error is that field's, and only that one.
    assert re.findall(r'w-field--error" data-field data-contentpath="(\w+)"', html) == [field]


@pytest.mark.parametrize(
    "url",
    [
        PEOPLE + "?q=%00%00&after=%00&before=x&ordering=%27&p=-1",
        PEOPLE + "?industry=&industry=" + "y" * 500 + "&company_size=huge&grade=&stage=",
        PEOPLE + "?q=" + "jane " * 500,
        PEOPLE + "?source=" + "content:" + "9" * 200,
        COMPANIES + "?grade=ZZ&owner=me&is_key_account=perhaps&q=%25%25",
        LEADS + "?origin_type=nope&status=%00&score_min=--1&date_to=yesterday&source=event:%27",
    ],
)
def test_hostile_query_strings_never_fail(client, org, book, url):
    client.force_login(org["rita"])
    assert client.get(url).status_code == 200
    assert client.get(url.replace("?", "results/?", 1)).status_code == 200


def test_owner_and_source_choices(org, book, captures, django_assert_num_queries):
    owners = dict(owner_choices())
    assert list(owners)[:2] == ["me", "none"]
    assert {owners[str(org[name].pk)] for name in ("rita", "ravi", "erin", "mona")} == {"Rita", "Ravi", "Erin", "Mona"}
    assert str(org["eddie"].pk) not in owners  # neither a rep nor owning anybody
    assert dict(source_choices()) == {"content:42": "Whitepaper: State of RevOps", "event:7": "Event: RevOps Summit"}
    with django_assert_num_queries(0):  # cached: the choices run on every list page
        source_choices()
        owner_choices()


def filter_menu(html: str) -> list[str]:
    """The filters in the order the filter menu lists them."""
    return re.findall(r'aria-controls="drilldown-id_(\w+)"', html)


def test_the_filter_menu_lists_what_reps_filter_by_first(client, org, book):
    """Stage was the 8th of 16 filters, below the fold of a laptop's screen."""
    client.force_login(org["rita"])
    people = filter_menu(html_of(client.get(PEOPLE)))
    assert people[:5] == ["stage", "grade", "owner", "source", "junk"]
    assert people[5:8] == ["period", "date_from", "date_to"]
    # The rest still follow: every filter once (the tag filter, the behaviour filter... among them).
    assert len(people) == len(set(people)) == len(PeopleFilterSet.base_filters) >= 18
    assert filter_menu(html_of(client.get(LEADS)))[:4] == ["stage", "grade", "owner", "source"]
    assert filter_menu(html_of(client.get(COMPANIES)))[:4] == ["grade", "owner", "source", "junk"]


def test_the_filter_drawer_offers_the_choices(client, org, book, captures):
    client.force_login(org["ada"])
    html = html_of(client.get(PEOPLE))
    assert 'value="content:42"' in html and "Whitepaper: State of RevOps" in html
    assert 'value="me"' in html and "Nobody" in html and "This quarter" in html


# --- Search ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, expected",
    [
        ("ritalead1", {"RitaLead1"}),
        ("Example ritaLEAD2", {"RitaLead2"}),
        ("meridian", {"RitaLead1"}),  # the company, "Meridian Bank" (Rita may not search inside addresses)
        ("atlas", {"RitaLead2"}),
        ("rita.lead1@meridian-bank.example", {"RitaLead1"}),
        ("RITA.lead1+news@Meridian-Bank.example", {"RitaLead1"}),  # the mailbox, however it is typed
        ("@meridian-bank.example", {"RitaLead1", "RitaLead2"}),
        ("nobody-like-this", set()),
    ],
)
def test_search_by_name_email_or_company(org, book, query, expected):
    assert names(list_queryset("people", user=org["rita"], params={"q": query})) == expected


@pytest.mark.parametrize("query", ["meridian", "ATLAS ritalead2", "bank example", "health orphan", "zzz-no-company"])
def test_a_word_naming_many_companies_finds_the_same_people(org, book, monkeypatch, query):
    """A word is matched to companies through their ids, or on the joined company when it names more than
    SEARCH_COMPANIES of them: either way, the same people."""
    CompanyFactory(name="Meridian Bank Holding")  # a second company the word "meridian" names
    by_ids = people(org["ada"], {"q": query})
    monkeypatch.setattr(selectors, "SEARCH_COMPANIES", 0)
    assert people(org["ada"], {"q": query}) == by_ids
    assert by_ids or query == "zzz-no-company"


def test_without_the_personal_data_right_an_address_is_found_only_whole(org, book):
    # Rita cannot spell out masked addresses by searching for their parts; Mona can search them freely.
    assert people(org["rita"], "q=rita.lead") == set()
    assert people(org["rita"], "q=rita.lead1@meridian") == set()
    assert people(org["mona"], "q=rita.lead") == {"RitaLead1", "RitaLead2"}
    assert people(org["mona"], "q=rita.lead1@meridian") == {"RitaLead1"}


def test_search_over_http_and_on_companies_and_leads(client, org, book):
    CompanyFactory(name="Northwind", domains=["northwind.example", "northwind-group.example"])
    LeadFactory(person=book["rita2"], origin_label="Cloud Costs 2026", utm_campaign="autumn")
    client.force_login(org["ada"])
    html = html_of(client.get(PEOPLE + "?q=ravilead2"))
    assert listed_ids(html) == [book["ravi2"].pk] and "1 person matches" in html
    companies = list(list_queryset("companies", user=org["ada"], params="q=northwind"))
    assert [company.name for company in companies] == ["Northwind"]  # two matching domains, one row
    assert [lead.person_id for lead in list_queryset("leads", user=org["ada"], params="q=cloud")] == [book["rita2"].pk]
    assert len(list_queryset("leads", user=org["ada"], params="q=AUTUMN ritalead2")) == 1


# --- Sorting ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("name", ["Example"] * 6 + ["Zed"]),
        ("-name", ["Zed"] + ["Example"] * 6),
    ],
)
def test_sorting_by_name(org, book, ordering, expected):
    Person.objects.filter(first_name="Orphan").update(last_name="Zed")
    rows = list(list_queryset("people", user=org["ada"], params={"ordering": ordering}))
    assert [person.last_name for person in rows] == expected


def test_sorting_by_grade_score_stage_and_pk_breaks_ties(org, book):
    by_grade = list(list_queryset("people", user=org["ada"], params="ordering=grade"))
    assert [p.grade for p in by_grade] == ["", "A1", "A1", "A1", "B2", "B2", "B2"]
    a1 = [p.pk for p in by_grade if p.grade == "A1"]
    assert a1 == sorted(a1)
    by_score = list(list_queryset("people", user=org["ada"], params="ordering=-score"))
    assert [p.score for p in by_score] == sorted((p.score for p in by_score), reverse=True)
    by_stage = list(list_queryset("people", user=org["ada"], params="ordering=stage"))
    assert by_stage[0].stage == "lead"


@pytest.mark.parametrize("ordering", ["password", "-converted_at", "company__name", "pk; DROP", ""])
def test_unknown_or_unavailable_orderings_fall_back_to_newest_first(org, book, ordering):
    rows = list(list_queryset("people", user=org["ada"], params={"ordering": ordering}))
    assert [p.pk for p in rows] == sorted((p.pk for p in rows), reverse=True)


def test_column_headers_sort_and_mark_the_current_order(client, org, book):
    client.force_login(org["ada"])
    html = html_of(client.get(PEOPLE + "?ordering=-score"))
    assert 'href="/admin/leads/person/?ordering=score"' in html  # the header flips the current order
    ids = listed_ids(html)
    scores = {p.pk: p.fit_score + p.interest_score for p in Person.objects.all()}
    assert [scores[pk] for pk in ids] == sorted(scores.values(), reverse=True)


# --- Keyset pages ----------------------------------------------------------------------------------------
@pytest.fixture
def crowd(org):
    """130 of Rita's people sharing only three creation times and four grades: plenty of ties."""
    base = timezone.now() - timedelta(days=1)
    Person.objects.bulk_create(
        [
            Person(
                email=f"p{n}@crowd.example",
                email_key=f"p{n}@crowd.example",
                first_name=f"P{n}",
                last_name=["Adams", "Baker", "Clark"][n % 3],
                owner=org["rita"],
                grade=["A1", "B2", "C3", "D4"][n % 4],
                fit_score=n % 7,
                interest_score=n % 5,
            )
            for n in range(130)
        ]
    )
    crowd = list(Person.objects.filter(email__endswith="@crowd.example").values_list("pk", flat=True))
    for n in range(3):
        Person.objects.filter(pk__in=[pk for pk in crowd if pk % 3 == n]).update(created_at=base + timedelta(minutes=n))
    return list(Person.objects.filter(owner=org["rita"]))


def walk(client, url):
    """Follow Next links from `url` to the end: every page's ids, and the HTML of the last one."""
    pages, html = [], html_of(client.get(url))
    pages.append(listed_ids(html))
    while (next_url := link(html, "next")) is not None:
        html = html_of(client.get(next_url))
        pages.append(listed_ids(html))
        assert len(pages) < 10
    return pages, html


@pytest.mark.parametrize(
    "ordering, sort",
    [
        ("", lambda p: (p.created_at, p.pk)),
        ("grade", lambda p: (p.grade, p.pk)),
        ("-name", lambda p: (p.last_name.lower(), p.pk)),
        ("score", lambda p: (p.fit_score + p.interest_score, p.pk)),
    ],
)
def test_next_and_previous_walk_every_row_once_in_order_despite_ties(client, org, crowd, ordering, sort):
    client.force_login(org["rita"])
    descending = ordering in ("", "-name")
    expected = [p.pk for p in sorted(crowd, key=sort, reverse=descending)]
    pages, last = walk(client, PEOPLE + (f"?ordering={ordering}" if ordering else ""))
    assert [len(page) for page in pages] == [50, 50, 30]
    assert [pk for page in pages for pk in page] == expected
    assert "10,000+" not in last and "130 people" in last
    # And back again: Previous gives the same pages, the first one full.
    back, html = [], last
    while (previous := link(html, "previous")) is not None:
        html = html_of(client.get(previous))
        back.append(listed_ids(html))
    assert back == pages[:-1][::-1]
    assert link(html, "previous") is None and link(html, "next") is not None


def test_a_tampered_cursor_gives_the_first_page(client, org, crowd):
    client.force_login(org["rita"])
    first = html_of(client.get(PEOPLE))
    next_url = link(first, "next")
    cursor = parse_qs(urlsplit(next_url).query)["after"][0]
    second = listed_ids(html_of(client.get(next_url)))
    assert second != listed_ids(first)
    tampered = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    for bad in [tampered, "garbage", cursor + "x", "x" * 5000, ""]:
        assert listed_ids(html_of(client.get(PEOPLE, {"after": bad}))) == listed_ids(first)
        assert listed_ids(html_of(client.get(PEOPLE, {"before": bad}))) == listed_ids(first)
    # A genuine cursor under another ordering or other filters is not a position there either.
    assert listed_ids(html_of(client.get(PEOPLE, {"after": cursor, "ordering": "grade"}))) == listed_ids(
        html_of(client.get(PEOPLE, {"ordering": "grade"}))
    )
    assert (
        listed_ids(html_of(client.get(PEOPLE, {"after": cursor, "grade": "A1"})))[0]
        == listed_ids(html_of(client.get(PEOPLE, {"grade": "A1"})))[0]
    )


def test_a_cursor_of_one_list_is_not_a_position_in_another(org, crowd):
    queryset = list_queryset("people", user=org["rita"], params="")

    ordering = list_ordering("people", QueryDict(), queryset)
    page = pagination.keyset_paginate(queryset, ordering, list_name="people", params=QueryDict(), page_size=5)
    assert (
        pagination.keyset_paginate(
            queryset, ordering, list_name="people", page_size=5, params=QueryDict(f"after={page.next_cursor}")
        )
        .object_list[0]
        .pk
        != page.object_list[0].pk
    )
    elsewhere = pagination.keyset_paginate(
        queryset, ordering, list_name="leads", params=QueryDict(f"after={page.next_cursor}"), page_size=5
    )
    assert [p.pk for p in elsewhere.object_list] == [p.pk for p in page.object_list]


def test_the_count_is_capped_and_never_counts_the_whole_table(client, org, crowd, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 100)
    client.force_login(org["rita"])
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client.get(PEOPLE))
    assert "100+ people" in html
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 101" in sql for sql in counts if "leads_person" in sql)
    assert all(" OFFSET " not in q["sql"] for q in queries.captured_queries if "leads_person" in q["sql"])
    monkeypatch.setattr(pagination, "COUNT_CAP", 10_000)
    assert "130 people" in html_of(client.get(PEOPLE))


def test_list_queryset_ignores_paging_but_honours_a_valid_ordering(org, crowd):
    everything = list_queryset("people", user=org["rita"], params="after=abc&p=3&before=x")
    assert everything.count() == 130
    by_name = list(list_queryset("people", user=org["rita"], params={"ordering": "name", "p": "2"}))
    assert by_name[0].last_name == "Adams" and by_name[-1].last_name == "Clark"


# --- Query counts ---------------------------------------------------------------------------------------
@pytest.fixture
def busy_crowd(org, crowd):
    """Rita's crowd at companies, with leads and interactions, so every column has something to read."""
    companies = [CompanyFactory(name=f"Crowd Co {n}") for n in range(5)]
    for n, person in enumerate(crowd[:60]):
        Person.objects.filter(pk=person.pk).update(company=companies[n % 5])
        LeadFactory(person=person)
        InteractionFactory(person=person, type="content_download")
    return crowd


@pytest.mark.parametrize("url, first_page", [(PEOPLE, 50), (COMPANIES, 5), (LEADS, 50)])
def test_a_full_page_costs_the_same_queries_as_a_short_one(
    client, org, busy_crowd, url, first_page, django_assert_max_num_queries
):
    client.force_login(org["rita"])
    client.get(url)  # warm the choices' cache and the session
    with CaptureQueriesContext(connection) as full:
        html = html_of(client.get(url))
    assert len(listed_ids(html)) == first_page
    next_url = link(html, "next")
    if next_url is None:
        return  # the companies fit on one page; the flat count is shown by the people and leads lists
    while (further := link(html_of(client.get(next_url)), "next")) is not None:
        next_url = further
    with CaptureQueriesContext(connection) as short:
        html = html_of(client.get(next_url))
    assert 0 < len(listed_ids(html)) < 50
    assert len(short) == len(full)
    with django_assert_max_num_queries(16):
        client.get(url)


def test_gated_list_query_count_is_flat_too(client, org, busy_crowd, django_assert_max_num_queries):
    client.force_login(org["rita"])
    client.get(PEOPLE + "?source=content:42")
    with django_assert_max_num_queries(16):
        html = html_of(client.get(PEOPLE + "?source=content:42"))
    assert len(listed_ids(html)) == 50


@pytest.mark.parametrize(
    "query, words",
    [
        ("source=content:42", 0),
        ("source=content:42&junk=include", 0),
        ("source=content:42&ordering=-score", 0),
        ("q=crowd co", 2),
        ("q=Adams", 1),
        ("q=p7@crowd.example", 1),
        ("source=content:42&q=crowd", 1),
    ],
)
def test_searches_and_lead_lists_cost_the_same_few_queries_on_every_page(
    client, org, busy_crowd, query, words, django_assert_max_num_queries
):
    """A search costs one look-up of the companies each word names (two on a lead list, whose junk count
    reads the list again), not one per row; a deep page what the first does."""
    client.force_login(org["rita"])
    html = html_of(client.get(PEOPLE + "?" + query))
    budget = 16 + words * (2 if "source=" in query else 1)
    with django_assert_max_num_queries(budget):
        html = html_of(client.get(PEOPLE + "?" + query))
    assert listed_ids(html)
    next_url = link(html, "next")
    if next_url is not None:
        with django_assert_max_num_queries(budget):
            assert listed_ids(html_of(client.get(next_url)))


# --- The gated-content lead list ---------------------------------------------------------------------------
def test_the_lead_list_of_a_whitepaper_shows_who_converted_when_with_consent(client, org, book, captures):
    Person.objects.filter(pk=book["ravi1"].pk).update(consent="granted")
    client.force_login(org["mona"])
    html = html_of(client.get(PEOPLE + "?source=content:42"))
    assert listed_ids(html) == [book["ravi1"].pk, book["rita1"].pk]  # newest conversion first
    assert "Granted" in html and "2 people" in html
    assert re.search(r"<h1[^>]*>\s*People: Whitepaper: State of RevOps\s*</h1>", html)
    assert re.search(r"<th[^>]*>\s*<a[^>]*ordering=converted_at[^>]*>\s*Converted", html)  # sortable
    assert re.search(r"<th[^>]*>\s*Consent\s*</th>", html)
    plain = html_of(client.get(PEOPLE))
    assert not re.search(r"<th[^>]*>\s*(<a[^>]*>\s*)?(Converted|Consent)", plain)


def test_the_lead_list_pages_by_conversion_time(client, org, crowd):
    now = timezone.now()
    for n, person in enumerate(crowd[:70]):
        LeadFactory(person=person, origin_type="event", origin_id="7", received_at=now - timedelta(minutes=n % 4))
    client.force_login(org["rita"])
    pages, _ = walk(client, PEOPLE + "?source=event:7")
    assert [len(page) for page in pages] == [50, 20]
    assert len({pk for page in pages for pk in page}) == 70


def test_leads_origin_links_to_its_lead_list(client, org, book, captures):
    client.force_login(org["ada"])
    html = html_of(client.get(LEADS))
    assert 'href="/admin/leads/person/?source=content%3A42"' in html and "Whitepaper: State of RevOps" in html
    assert "Event: RevOps Summit" in html
    assert html.count("<td>Flagged</td>") == 1  # the verdict column (the filter menu offers "Flagged" too)


def test_companies_list_counts_people_in_scope_and_their_best_grade(client, org, book):
    client.force_login(org["rita"])
    html = html_of(client.get(COMPANIES))
    rows = dict(re.findall(r'companies_\d+_title">([^<]+)</span>.*?<td\s*>\s*(\d+)\s*</td>', html, re.S))
    assert rows == {"Atlas Health": "1", "Meridian Bank": "1"}  # Rita's own people only
    client.force_login(org["ada"])
    html = html_of(client.get(COMPANIES))
    assert re.search(r"Atlas Health.*?<td\s*>\s*4\s*</td>\s*<td\s*>\s*B2", html, re.S)
    assert re.search(r"Meridian Bank.*?<td\s*>\s*3\s*</td>\s*<td\s*>\s*A1", html, re.S)


# --- Header buttons, bulk selection, Wagtail's export ------------------------------------------------------
def test_people_list_has_bulk_selection_for_those_who_work_leads(client, org, book, django_user_model):
    client.force_login(org["rita"])
    html = html_of(client.get(PEOPLE))
    assert html.count('data-bulk-action-checkbox class="bulk-action-checkbox"') == 2
    assert "data-bulk-action-footer" in html and "wagtailadmin/js/bulk-actions" in html
    assert f'aria-describedby="people_{book["rita1"].pk}_title"' in html
    client.force_login(viewer(django_user_model))
    html = html_of(client.get(PEOPLE))
    assert "bulk-action-checkbox" not in html and "data-bulk-action-footer" not in html
    client.force_login(org["ada"])
    assert "bulk-action-checkbox" not in html_of(client.get(COMPANIES))


def test_export_goes_through_the_sales_exports_never_wagtails_own(client, org, book, django_user_model):
    client.force_login(org["ada"])
    html = html_of(client.get(PEOPLE + "?grade=A1&stage=mql"))
    button = re.search(r'href="(/admin/sales/exports/new/[^"]*)"', html)
    assert button and "grade=A1" in unescape(button.group(1)) and "Download CSV" not in html
    response = client.get(PEOPLE + "?export=csv")
    assert response["Content-Type"].startswith("text/html")  # the listing, not an unaudited file
    client.force_login(viewer(django_user_model, "viewer2"))
    html = html_of(client.get(PEOPLE))
    assert "/admin/sales/exports/new/" not in html


def test_visitors_are_sent_to_the_login(client, book):
    for url in (PEOPLE, COMPANIES, LEADS):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
