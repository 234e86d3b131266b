"""Lead lists (/admin/sales/lead-lists/), each one's people (the people list with `source`), junk left out
by default, and the "Lead list" links where the content lives.

Rita and Ravi are Inbound reps, Erin an Enterprise rep, Mona the Inbound manager, Mark a marketer,
Eddie an editor (tests/sales/conftest.py); `book` gives each rep two people and one person nobody owns.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import Lead, Person
from sales.lead_lists import lead_lists
from sales.selectors import list_queryset
from tests.factories import WhitepaperPageFactory
from tests.factories.events import EventFactory
from tests.factories.formpages import LeadFormPageFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

URL = "/admin/sales/lead-lists/"


def convert(person, origin_type, origin_id, label, *, days_ago=0.0):
    return Lead.objects.create(
        source="form",
        origin_type=origin_type,
        origin_id=str(origin_id),
        origin_label=label,
        raw_payload="{}",
        person=person,
        received_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def conversions(book):
    """The whitepaper content:42 (renamed since), the event event:7, the form form:12, and noise."""
    for key, days_ago in (("rita1", 9), ("rita2", 5), ("ravi1", 4), ("erin1", 3), ("nobody", 2)):
        convert(book[key], "content", 42, "State of RevOps 2025", days_ago=days_ago)
    convert(book["rita1"], "content", 42, "State of RevOps 2026", days_ago=1)  # the same person again
    convert(book["rita1"], "event", 7, "RevOps Summit", days_ago=6)
    convert(book["erin2"], "event", 7, "RevOps Summit", days_ago=0.5)
    convert(book["ravi2"], "form", 12, "Contact sales", days_ago=8)
    convert(book["rita2"], "other", "", "Imported list", days_ago=0.1)  # no origin: no lead list
    convert(None, "content", 42, "State of RevOps 2026", days_ago=0.2)  # nobody resolved yet: not a person
    return book


def rows(response):
    return {row.source: row for row in response.context["object_list"]}


def test_a_rep_sees_the_counts_of_her_own_people(client, org, conversions):
    client.force_login(org["rita"])
    response = client.get(URL)
    assert response.status_code == 200
    got = rows(response)
    assert set(got) == {"content:42", "event:7"}  # ravi's form fill is not hers
    assert got["content:42"].people == 2  # rita1 twice, rita2: two people
    assert got["event:7"].people == 1
    html = response.content.decode()
    assert 'href="/admin/leads/person/?source=content:42"' in html
    assert "Open the list" in html


@pytest.mark.parametrize(
    "user,expected",
    [
        ("mona", {"content:42": 3, "event:7": 1, "form:12": 1}),  # Inbound: rita, ravi
        ("erin", {"content:42": 1, "event:7": 1}),
        ("mark", {"content:42": 5, "event:7": 2, "form:12": 1}),  # everybody, the unowned person included
    ],
)
def test_counts_follow_each_users_scope(client, org, conversions, user, expected):
    client.force_login(org[user])
    assert {source: row.people for source, row in rows(client.get(URL)).items()} == expected


def test_first_and_latest_conversion_label_and_order(client, org, conversions):
    client.force_login(org["mark"])
    listed = client.get(URL).context["object_list"]
    # Sorted by latest conversion, newest first: the event (12 hours ago), the whitepaper (1 day), the form.
    assert [row.source for row in listed] == ["event:7", "content:42", "form:12"]
    whitepaper = listed[1]
    assert whitepaper.label == "State of RevOps 2026"  # the label of its latest lead
    assert whitepaper.type_label == "Whitepaper"
    assert (timezone.now() - whitepaper.first_at).days == 9
    assert (timezone.now() - whitepaper.latest_at).days == 1
    oldest_first = client.get(URL, {"ordering": "latest_at"}).context["object_list"]
    assert [row.source for row in oldest_first] == ["form:12", "content:42", "event:7"]
    most_people = client.get(URL, {"ordering": "-people"}).context["object_list"]
    assert most_people[0].source == "content:42"


def test_filter_by_type_and_search_by_label(client, org, conversions):
    client.force_login(org["mark"])
    assert set(rows(client.get(URL, {"type": "event"}))) == {"event:7"}
    assert set(rows(client.get(URL, {"q": "summit"}))) == {"event:7"}
    # An old label still finds the whitepaper, and the count is still of every lead it had.
    found = rows(client.get(URL, {"q": "2025"}))
    assert set(found) == {"content:42"} and found["content:42"].people == 5
    assert rows(client.get(URL, {"q": "nothing like this"})) == {}


@pytest.mark.parametrize(
    "query",
    [
        {"type": "zzz"},
        {"ordering": "drop table"},
        {"q": "x" * 5000},
        {"type": ["event", "form"]},
        {"q": "%' OR 1=1 --"},
    ],
)
def test_ugly_query_strings_never_break_the_page(client, org, conversions, query):
    client.force_login(org["mark"])
    assert client.get(URL, query).status_code == 200


def test_labels_are_escaped(client, org, book):
    convert(book["rita1"], "form", 99, "<script>alert('x')</script>")
    client.force_login(org["rita"])
    html = client.get(URL).content.decode()
    assert "<script>alert(" not in html and "&lt;script&gt;" in html


def test_one_aggregate_query_whatever_the_number_of_origins(client, org, book):
    client.force_login(org["mark"])

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    convert(book["rita1"], "content", 1, "Whitepaper 1")
    few = count_queries()
    for n in range(2, 31):
        origin_type = "event" if n % 3 else "content"
        convert(book["rita1" if n % 2 else "ravi1"], origin_type, n, f"Origin {n}")
        convert(PersonFactory(owner=org["erin"]), origin_type, n, f"Origin {n}")
    assert len(lead_lists(org["mark"])) == 30
    assert count_queries() == few


def test_one_click_export_for_users_who_may_export(client, org, conversions, make_role_user):
    client.force_login(org["rita"])
    html = client.get(URL).content.decode()
    assert 'action="/admin/sales/exports/new/"' in html
    assert 'name="params" value="source=content:42"' in html
    assert 'name="title" value="Whitepaper: State of RevOps 2026"' in html
    assert 'name="list" value="people"' in html and "csrfmiddlewaretoken" in html

    viewer = make_role_user(
        "vera", None, extra_permissions=["wagtailadmin.access_admin", "leads.view_person", "leads.view_all_people"]
    )
    client.force_login(viewer)
    response = client.get(URL)
    assert response.status_code == 200 and rows(response)
    html = response.content.decode()
    assert "Open the list" in html and "/admin/sales/exports/new/" not in html


def test_the_one_click_export_posts_to_a_working_export(client, org, conversions):
    client.force_login(org["rita"])
    response = client.post(
        "/admin/sales/exports/new/",
        {
            "list": "people",
            "params": "source=content:42",
            "title": "Whitepaper: State of RevOps 2026",
            "use_default_columns": "1",
            "format": "csv",
        },
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert "rita.lead1@" not in text  # a rep without the personal-data right gets masked addresses
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["PID"] for row in rows) == sorted(f"PID-{conversions[key].pk}" for key in ("rita1", "rita2"))
    assert {row["Email"] for row in rows} == {"r***@meridian-bank.example"}


def test_editors_get_no_lead_lists(client, org, conversions):
    client.force_login(org["eddie"])
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/")
    assert URL not in client.get("/admin/").content.decode()
    client.force_login(org["rita"])
    assert URL in client.get("/admin/").content.decode()  # in the Sales menu


# --- "Lead list" where the content lives ----------------------------------------------------------


def test_a_whitepapers_admin_links_to_its_lead_list(client, org, whitepaper_index):
    whitepaper = WhitepaperPageFactory(parent=whitepaper_index, title="State of RevOps 2026")
    link = f'href="/admin/leads/person/?source=content:{whitepaper.pk}"'
    client.force_login(org["mark"])
    assert link in client.get(f"/admin/pages/{whitepaper.pk}/edit/").content.decode()
    assert link in client.get(f"/admin/pages/{whitepaper_index.pk}/").content.decode()  # the listing's menu
    assert "?source=content:" not in client.get(f"/admin/pages/{whitepaper_index.pk}/edit/").content.decode()
    client.force_login(org["eddie"])
    edit = client.get(f"/admin/pages/{whitepaper.pk}/edit/")
    assert edit.status_code == 200 and "/admin/leads/person/" not in edit.content.decode()
    assert "/admin/leads/person/" not in client.get(f"/admin/pages/{whitepaper_index.pk}/").content.decode()


def test_an_events_admin_links_to_its_lead_list(client, org, make_role_user):
    event = EventFactory(title="RevOps Summit")
    link = f'href="/admin/leads/person/?source=event:{event.pk}"'
    client.force_login(org["mark"])
    assert link in client.get(f"/admin/events/edit/{event.pk}/").content.decode()
    assert link in client.get("/admin/events/").content.decode()
    organiser = make_role_user(
        "olga", None, extra_permissions=["wagtailadmin.access_admin", "events.view_event", "events.change_event"]
    )
    client.force_login(organiser)
    edit = client.get(f"/admin/events/edit/{event.pk}/")
    assert edit.status_code == 200 and "/admin/leads/person/" not in edit.content.decode()
    assert "/admin/leads/person/" not in client.get("/admin/events/").content.decode()


def test_a_form_pages_admin_links_to_its_lead_list(client, org, home_page):
    form_page = LeadFormPageFactory(parent=home_page, title="Contact sales", purpose="contact_sales")
    link = f'href="/admin/leads/person/?source=form:{form_page.pk}"'
    client.force_login(org["mark"])
    assert link in client.get(f"/admin/pages/{form_page.pk}/edit/").content.decode()
    assert link in client.get(f"/admin/pages/{home_page.pk}/").content.decode()
    client.force_login(org["eddie"])
    edit = client.get(f"/admin/pages/{form_page.pk}/edit/")
    assert edit.status_code == 200 and "/admin/leads/person/" not in edit.content.decode()


def test_the_link_opens_the_lead_list_of_that_content(client, org, conversions):
    client.force_login(org["rita"])
    response = client.get("/admin/leads/person/?source=content:42")
    assert response.status_code == 200
    html = response.content.decode()
    assert "RitaLead1" in html and "RitaLead2" in html
    assert "RaviLead1" not in html  # not hers


# --- Junk: left out of a lead list, its counts and its exports, unless included --------------------------


@pytest.fixture
def junk(book, org):
    """Whitepaper content:42 taken by four of Rita's people: a clean download; a competitor's (flagged);
    a clean download by someone marked as test data; and a clean download plus a flagged duplicate."""

    def rita_person(name, **kwargs):
        return Person.objects.create(
            email=f"{name.lower()}@junk.example",
            email_key=f"{name.lower()}@junk.example",
            first_name=name,
            last_name="Junk",
            owner=org["rita"],
            **kwargs,
        )

    people = {
        "clean": rita_person("Clean"),
        "rival": rita_person("Rival", is_competitor=True),
        "tester": rita_person("Tester", is_test=True),
        "twice": rita_person("Twice"),
    }
    lead = Lead.objects.create
    common = {
        "source": "form",
        "origin_type": "content",
        "origin_id": "42",
        "origin_label": "State of RevOps",
        "raw_payload": "{}",
    }
    lead(person=people["clean"], verdict="clean", received_at=timezone.now() - timedelta(days=3), **common)
    lead(
        person=people["rival"],
        verdict="flagged",
        flags=[{"code": "competitor", "reason": "rival.example"}],
        received_at=timezone.now() - timedelta(days=2),
        **common,
    )
    lead(person=people["tester"], verdict="clean", received_at=timezone.now() - timedelta(days=2), **common)
    first = lead(person=people["twice"], verdict="clean", received_at=timezone.now() - timedelta(days=5), **common)
    lead(
        person=people["twice"],
        verdict="flagged",
        flags=[{"code": "duplicate", "reason": "again"}],
        received_at=timezone.now() - timedelta(days=1),
        **common,
    )
    people["twice_first"] = first
    return people


def listed(html) -> set[int]:
    return {int(pk) for pk in re.findall(r'<span id="people_(\d+)_title"', html)}


def test_a_lead_list_leaves_junk_out_by_default_and_a_toggle_includes_it(client, org, junk):
    """docs/lead-store.md: junk is left out of lead lists by default. A whitepaper's list showed its test
    and competitor people."""
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/?source=content:42").content.decode()
    assert listed(html) == {junk["clean"].pk, junk["twice"].pk}  # a duplicate does not hide the first download
    assert "2 people" in html
    toggle = re.search(r'data-junk-toggle="left-out".*?href="([^"]+)">Include junk \(2\)</a>', html, re.S)
    assert toggle, "a visible way to include the junk, with how many"
    url = toggle.group(1).replace("&amp;", "&")
    assert url == "/admin/leads/person/?source=content:42&junk=include"

    included = client.get(url).content.decode()
    assert listed(included) == {junk[key].pk for key in ("clean", "rival", "tester", "twice")}
    back = re.search(r'data-junk-toggle="included".*?href="([^"]+)">Leave junk out</a>', included, re.S)
    assert back and back.group(1) == "/admin/leads/person/?source=content:42"
    # The ordinary people list is not a lead list: everybody, no toggle.
    plain = client.get("/admin/leads/person/").content.decode()
    assert {junk["rival"].pk, junk["tester"].pk} <= listed(plain) and "data-junk-toggle" not in plain


def test_the_toggle_keeps_the_other_filters_and_counts_within_them(client, org, junk):
    Person.objects.filter(pk=junk["rival"].pk).update(grade="A1")
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/?source=content:42&grade=A1&grade=B2&after=x").content.decode()
    toggle = re.search(r'href="([^"]+)">Include junk \((\d+)\)</a>', html)
    assert toggle.group(2) == "1"  # of the A1/B2 people, only the competitor
    assert (
        toggle.group(1).replace("&amp;", "&") == "/admin/leads/person/?source=content:42&grade=A1&grade=B2&junk=include"
    )


def test_converted_is_the_first_download_that_counts(org, junk):
    """A typo in the first try (flagged), a clean second one: the list counts the clean one, and says so."""
    retry = Person.objects.create(email="retry@junk.example", email_key="retry@junk.example", owner=org["rita"])
    typo = convert(retry, "content", 42, "State of RevOps", days_ago=6)
    Lead.objects.filter(pk=typo.pk).update(verdict="flagged", flags=[{"code": "invalid_phone", "reason": "1234"}])
    clean = convert(retry, "content", 42, "State of RevOps", days_ago=4)

    def converted(params):
        rows = {person.pk: person for person in list_queryset("people", user=org["rita"], params=params)}
        return rows[retry.pk].converted_at, rows[junk["twice"].pk].converted_at

    assert converted("source=content:42") == (clean.received_at, junk["twice_first"].received_at)
    assert converted("source=content:42&junk=include")[0] == typo.received_at


def test_two_leads_at_the_same_instant_make_one_row(client, org, junk):
    """Each person is joined to their first lead of the source; two at the very same time (a double submit)
    still make one row, at that time, in the list and its count, with or without the junk."""
    at = timezone.now() - timedelta(days=7)
    for verdict in ("flagged", "clean", "clean"):
        convert_at = convert(junk["clean"], "content", 42, "State of RevOps")
        Lead.objects.filter(pk=convert_at.pk).update(received_at=at, verdict=verdict)
    for params in ("source=content:42", "source=content:42&junk=include"):
        rows = list(list_queryset("people", user=org["rita"], params=params))
        assert [person.pk for person in rows].count(junk["clean"].pk) == 1
        assert {person.pk: person.converted_at for person in rows}[junk["clean"].pk] == at
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/?source=content:42").content.decode()
    assert "2 people" in html and "Include junk (2)" in html


def test_the_junk_count_counts_each_junk_person_once(client, org, junk):
    """Marked as a competitor *and* only flagged leads: in both halves of the junk count, counted once."""
    Person.objects.filter(pk=junk["tester"].pk).update(is_competitor=True)
    Lead.objects.filter(person=junk["tester"]).update(verdict="flagged")
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/?source=content:42").content.decode()
    assert "Include junk (2)" in html


def test_the_lead_lists_count_without_junk_unless_included(client, org, junk):
    client.force_login(org["rita"])
    (row,) = client.get(URL).context["object_list"]
    assert (row.source, row.people) == ("content:42", 2)
    html = client.get(URL).content.decode()
    assert 'href="/admin/leads/person/?source=content:42"' in html
    assert 'name="params" value="source=content:42"' in html
    (row,) = client.get(URL, {"junk": "include"}).context["object_list"]
    assert row.people == 4
    html = client.get(URL, {"junk": "include"}).content.decode()
    assert 'href="/admin/leads/person/?source=content:42&amp;junk=include"' in html
    assert 'name="params" value="source=content:42&amp;junk=include"' in html


def test_a_lead_lists_export_leaves_junk_out_unless_included(client, org, junk):
    client.force_login(org["rita"])

    def exported(params):
        response = client.post(
            "/admin/sales/exports/new/",
            {"list": "people", "params": params, "title": "WP", "use_default_columns": "1", "format": "csv"},
        )
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return {row["First name"] for row in csv.DictReader(io.StringIO(text))}

    assert exported("source=content:42") == {"Clean", "Twice"}
    assert exported("source=content:42&junk=include") == {"Clean", "Rival", "Tester", "Twice"}
    form = client.get("/admin/sales/exports/new/?list=people&source=content:42&junk=include").content.decode()
    assert "<li>Junk on a source&#x27;s list: Included</li>" in form


def test_a_saved_filter_keeps_the_junk_choice(client, org, junk):
    from sales.models import SavedFilter

    client.force_login(org["rita"])
    client.post(
        "/admin/sales/saved-filters/create/",
        {"name": "WP with junk", "list_name": "people", "query": "source=content:42&junk=include"},
    )
    assert SavedFilter.objects.get().query == "junk=include&source=content:42"
