"""The people and leads lists' behaviour filter: who did something, at least N times, in the last D days.

Checked through sales.selectors.list_queryset (the listing, exports and saved filters share it) and over
HTTP: the rows, errors on the field, hostile values, the active-filter chip, keyset pages and the count,
saving it, and what it costs in queries.
"""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import Interaction, PersonTag, StageTransition, Tag
from sales import pagination
from sales.models import SavedFilter
from sales.saved_filter_queries import apply_url, query_clean
from sales.selectors import list_filter_errors, list_ordering, list_queryset
from tests.factories.leads import LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE, LEADS = "/admin/leads/person/", "/admin/leads/lead/"
PRICING_TWICE_THIS_WEEK = "behaviour=visited_url&behaviour_value=/pricing/&behaviour_times=2&behaviour_days=7"


@pytest.fixture(autouse=True)
def _fresh_choices():
    cache.clear()
    yield
    cache.clear()


def did(person, type, at, object_id="", topics="", path=""):
    Interaction.objects.create(
        type=type,
        person=person,
        occurred_at=at,
        object_id=object_id or path.strip("/").rsplit("/", 1)[-1],
        object_topics=topics,
        properties={"path": path} if path else {},
    )


@pytest.fixture
def behaviour(book):
    """What the book's people did. RitaLead1: pricing twice this week. RaviLead1: pricing once this week,
    once ten days ago. ErinLead1: downloaded whitepaper 11 (on AI). RitaLead2: registered for event 7 and
    attended it. RaviLead2: started a trial yesterday. ErinLead2: became an MQL five days ago, an SQL
    forty days ago. Orphan: tagged VIP. And an anonymous visitor's pricing views, nobody's."""
    now = timezone.now()
    day = timedelta(days=1)
    did(book["rita1"], "page_view", now - day, path="/pricing/")
    did(book["rita1"], "page_view", now - 2 * day, path="/pricing/")
    did(book["ravi1"], "page_view", now - day, path="/pricing/")
    did(book["ravi1"], "page_view", now - 10 * day, path="/pricing/")
    did(book["erin1"], "content_download", now - 3 * day, "11", ",ai,")
    did(book["rita2"], "event_registered", now - 20 * day, "7", ",events,")
    did(book["rita2"], "event_attended", now - 10 * day, "7", ",events,")
    did(book["ravi2"], "custom_event", now - day, "trial_started")
    StageTransition.objects.create(person=book["erin2"], to_stage="mql", reason_type="rule", occurred_at=now - 5 * day)
    StageTransition.objects.create(person=book["erin2"], to_stage="sql", reason_type="user", occurred_at=now - 40 * day)
    tag = Tag.objects.create(name="VIP", slug="vip")
    PersonTag.objects.create(person=book["nobody"], tag=tag, added_at=now - 2 * day)
    for days_back in (1, 2, 3):
        Interaction.objects.create(
            type="page_view", visitor_id="v_" + "a" * 24, occurred_at=now - days_back * day, object_id="pricing"
        )
    return book


def people(user, query="") -> set[str]:
    return {person.first_name for person in list_queryset("people", user=user, params=query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (PRICING_TWICE_THIS_WEEK, {"RitaLead1"}),
        ("behaviour=visited_url&behaviour_value=/pricing/", {"RitaLead1", "RaviLead1"}),
        ("behaviour=visited_url&behaviour_value=/pri*", {"RitaLead1", "RaviLead1"}),
        ("behaviour=visited_page&behaviour_value=pricing&behaviour_times=2", {"RitaLead1", "RaviLead1"}),
        ("behaviour=visited_page&behaviour_value=pricing&behaviour_times=3", set()),
        ("behaviour=downloaded&behaviour_value=topic:ai&behaviour_days=30", {"ErinLead1"}),
        ("behaviour=downloaded", {"ErinLead1"}),
        ("behaviour=downloaded&behaviour_value=12", set()),
        ("behaviour=registered_event&behaviour_value=7", {"RitaLead2"}),
        ("behaviour=attended_event", {"RitaLead2"}),
        ("behaviour=attended_event&behaviour_days=7", set()),
        ("behaviour=did_custom_event&behaviour_value=trial_started&behaviour_days=7", {"RaviLead2"}),
        ("behaviour=reached_stage&behaviour_value=mql&behaviour_days=30", {"ErinLead2"}),
        ("behaviour=reached_stage&behaviour_value=sql&behaviour_days=30", set()),
        ("behaviour=reached_stage&behaviour_value=sql", {"ErinLead2"}),
        ("behaviour=has_tag&behaviour_value=vip", {"Orphan"}),
        ("behaviour=has_tag&behaviour_value=vip&behaviour_days=1", set()),
        ("behaviour=opened_email", set()),  # nothing records opens yet: the filter exists for when it does
        # With the other filters: people with grade A1 who read the pricing page.
        ("behaviour=visited_url&behaviour_value=/pricing/&grade=A1&owner=" + "none", set()),
        ("behaviour=visited_url&behaviour_value=/pricing/&grade=A1&stage=mql", {"RitaLead1", "RaviLead1"}),
    ],
)
def test_people_who_did_it(org, behaviour, query, expected):
    assert people(org["ada"], query) == expected
    assert list_filter_errors("people", user=org["ada"], params=query) == {}


def test_a_rep_sees_only_their_own_people_who_did_it(org, behaviour):
    assert people(org["rita"], "behaviour=visited_url&behaviour_value=/pricing/") == {"RitaLead1"}


def test_the_leads_list_filters_by_what_the_leads_person_did(org, behaviour):
    for person in (behaviour["rita1"], behaviour["ravi1"], behaviour["erin1"]):
        LeadFactory(person=person)
    leads = list_queryset("leads", user=org["ada"], params=PRICING_TWICE_THIS_WEEK)
    assert {lead.person.first_name for lead in leads} == {"RitaLead1"}


@pytest.mark.parametrize(
    ("query", "part"),
    [
        ("behaviour=visited_url&behaviour_value=pricing", "behaviour_value: “pricing” is not a path"),
        ("behaviour=visited_url", "behaviour_value: Enter at least one value"),
        ("behaviour=downloaded&behaviour_times=0", "behaviour_times: Enter how many times"),
        ("behaviour=downloaded&behaviour_times=lots", "behaviour_times: Enter how many times"),
        ("behaviour=downloaded&behaviour_days=-1", "behaviour_days: Enter a number of days"),
        ("behaviour=downloaded&behaviour_days=99999", "behaviour_days: Enter a number of days"),
        ("behaviour=has_tag&behaviour_times=2", "behaviour_times: “Has tag” happens once per person"),
        ("behaviour=reached_stage&behaviour_value=king", "behaviour_value: “king” is not a stage"),
        ("behaviour=made_coffee", "behaviour: Choose what the person did"),
        ("behaviour_value=/pricing/&behaviour_days=7", "behaviour: choose what the person did, for the values"),
        ("behaviour=downloaded&behaviour_value=" + "x" * 2001, "at most 2000 characters"),
    ],
)
def test_a_malformed_behaviour_is_an_error_naming_the_parameter_and_the_rest_still_applies(
    client, org, behaviour, query, part
):
    errors = list_filter_errors("people", user=org["ada"], params=query)
    assert list(errors) == ["behaviour"] and part in " ".join(errors["behaviour"])
    # That filter is left out; a valid one next to it still applies.
    assert people(org["ada"], query + "&company_size=5000%2B") == {"RitaLead1", "RaviLead1", "ErinLead1"}
    client.force_login(org["ada"])
    response = client.get(f"{PEOPLE}?{query}&company_size=5000%2B")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'w-field--error" data-field data-contentpath="(\w+)"', html) == ["behaviour"]


@pytest.mark.parametrize(
    "query",
    [
        "behaviour=%00&behaviour_value=%00&behaviour_times=%00&behaviour_days=%00",
        "behaviour=visited_url&behaviour_value=" + "/a*" * 600,
        "behaviour=downloaded&behaviour_times=1e9&behaviour_days=1e9",
        "behaviour=visited_url&behaviour_value=/%27%20OR%201=1--&behaviour_value=/%25_%5C*",
        "behaviour=downloaded&behaviour=visited_url&behaviour_days=7&behaviour_days=-7",
    ],
)
def test_hostile_behaviour_values_never_fail(client, org, behaviour, query):
    client.force_login(org["rita"])
    for url in (PEOPLE, LEADS):
        assert client.get(f"{url}?{query}").status_code == 200
        assert client.get(f"{url}results/?{query}").status_code == 200


def test_like_wildcards_in_a_path_are_literal(org, behaviour):
    did(behaviour["erin1"], "page_view", timezone.now(), path="/100%_off/")
    assert people(org["ada"], "behaviour=visited_url&behaviour_value=/100%25_off/") == {"ErinLead1"}
    assert people(org["ada"], "behaviour=visited_url&behaviour_value=/100__off/") == set()
    assert people(org["ada"], "behaviour=visited_url&behaviour_value=/1*off/") == {"ErinLead1"}


def test_the_list_shows_the_filter_as_a_chip_that_removes_all_its_parameters(client, org, behaviour):
    client.force_login(org["ada"])
    html = client.get(f"{PEOPLE}?{PRICING_TWICE_THIS_WEEK}&stage=mql").content.decode()
    ids = [int(pk) for pk in re.findall(r'<span id="people_(\d+)_title"', html)]
    assert ids == [behaviour["rita1"].pk]
    pills = re.findall(
        r'<li class="w-pill">.*?<span class="w-text-14">\s*([^<]*?)\s*</span>\s*<b[^>]*>([^<]*)</b>'
        r'.*?data-w-swap-src-value="([^"]*)"',
        html,
        re.S,
    )
    removal = {label: unescape(url) for label, _, url in pills}
    assert ("Did (behaviour):", "Visited URL (path): /pricing/, 2+ times in the last 7 days") in {
        (label, value) for label, value, _ in pills
    }
    # Clearing the chip drops all four parameters and keeps the other filters; clearing another keeps it.
    assert parse_qs(urlsplit(removal["Did (behaviour):"]).query) == {"stage": ["mql"], "_w_filter_fragment": ["1"]}
    assert parse_qs(urlsplit(removal["Stage:"]).query)["behaviour_value"] == ["/pricing/"]


def test_keyset_pages_and_the_count_with_the_filter(client, org, behaviour):
    now = timezone.now()
    for n in range(12):
        person = PersonFactory(first_name=f"Reader{n}", email=f"reader{n}@example.com")
        did(person, "page_view", now - timedelta(hours=n + 1), path="/pricing/")
        did(person, "page_view", now - timedelta(hours=n + 2), path="/pricing/")
    queryset = list_queryset("people", user=org["ada"], params=PRICING_TWICE_THIS_WEEK)
    assert queryset.count() == 13  # the twelve and RitaLead1
    ordering = list_ordering("people", QueryDict(), queryset)
    seen, params = [], QueryDict()
    while True:
        page = pagination.keyset_paginate(queryset, ordering, list_name="people", params=params, page_size=5)
        seen += [person.pk for person in page.object_list]
        if not page.next_cursor:
            break
        params = QueryDict(f"after={page.next_cursor}")
    assert len(seen) == len(set(seen)) == 13
    client.force_login(org["ada"])
    assert "13 people" in client.get(f"{PEOPLE}?{PRICING_TWICE_THIS_WEEK}").content.decode()


def test_the_filter_is_saved_and_means_the_last_7_days_whenever_it_is_applied(client, org, behaviour):
    kept = query_clean("people", PRICING_TWICE_THIS_WEEK + "&p=2&after=x&_w_filter_fragment=1")
    assert parse_qs(kept) == {
        "behaviour": ["visited_url"],
        "behaviour_value": ["/pricing/"],
        "behaviour_times": ["2"],
        "behaviour_days": ["7"],
    }
    client.force_login(org["ada"])
    response = client.post(
        "/admin/sales/saved-filters/create/",
        {"name": "Pricing twice this week", "list_name": "people", "query": PRICING_TWICE_THIS_WEEK},
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get()
    assert parse_qs(saved.query) == parse_qs(kept)
    html = client.get(apply_url(saved)).content.decode()
    assert [int(pk) for pk in re.findall(r'<span id="people_(\d+)_title"', html)] == [behaviour["rita1"].pk]


def test_the_filter_costs_no_query_of_its_own(client, org, behaviour):
    client.force_login(org["ada"])
    client.get(PEOPLE)  # the choices of the filter menus are cached from here on
    with CaptureQueriesContext(connection) as plain:
        client.get(f"{PEOPLE}?stage=mql")
    with CaptureQueriesContext(connection) as filtered:
        client.get(f"{PEOPLE}?stage=mql&{PRICING_TWICE_THIS_WEEK}")
    assert len(filtered.captured_queries) == len(plain.captured_queries)
    assert any("leads_interaction" in query["sql"] for query in filtered.captured_queries)
