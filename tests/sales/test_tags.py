"""Tags in the sales workspace (issue 16, item 6): on the person page, in bulk from the people list
(select all included), as a filter of every list, in exports, and the Tags screen.

The organisation is tests/sales/conftest.py's: reps Rita, Ravi (Inbound) and Erin (Enterprise), manager
Mona, marketer Mark, editor Eddie, administrator Ada; `book` gives each rep two people (rita1 A1, rita2
B2...) and one person nobody owns. Marketers and administrators have leads.tag_people; reps do not.
"""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from leads.models import Interaction, Person, PersonTag, Tag
from leads.selectors import person_tags
from leads.services.tags import person_tags_add, tags_resolve
from sales.roles import SALES_REP
from sales.selectors import list_filter_errors, list_queryset

pytestmark = pytest.mark.django_db


def tags_url(person):
    return f"/admin/leads/person/tags/{person.pk}/"


def profile_url(person):
    return f"/admin/leads/person/inspect/{person.pk}/"


def bulk(action, *ids, query=""):
    ids_part = "&".join(f"id={pk}" for pk in ids)
    return (
        f"/admin/bulk/leads/person/{action}/?{ids_part}{'&' if ids_part and query else ''}{query}"
        "&next=/admin/leads/person/"
    )


def said(response):
    """The messages shown after this request (and any earlier, unshown one: the tests follow no redirects)."""
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def refused(response):
    """Wagtail's answer to a missing right in the admin: back to the dashboard (not the login page)."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def slugs(person):
    return [tag.slug for tag in person_tags(person)]


@pytest.fixture
def as_mark(client, org):
    client.force_login(org["mark"])
    return client


# --- The person page ---------------------------------------------------------------------------------


def test_a_marketer_adds_tags_on_the_person_page_and_the_timeline_says_who(as_mark, book):
    person = book["rita1"]
    page = as_mark.get(profile_url(person)).content.decode()
    assert 'id="sp-tags"' in page and 'name="add"' in page and "No tags." in page
    response = as_mark.post(tags_url(person), {"add": "Webinar follow-up, called-q4"})
    assert response.status_code == 302 and response["Location"] == profile_url(person) + "#tags"
    assert "Added: called-q4, Webinar follow-up." in said(response)
    assert slugs(person) == ["called-q4", "webinar-follow-up"]
    page = as_mark.get(profile_url(person)).content.decode()
    assert 'data-tag="webinar-follow-up"' in page and "Webinar follow-up" in page
    assert 'data-type="tag_added"' in page and "by mark" in page
    assert PersonTag.objects.filter(person=person, source="manual", added_by__username="mark").count() == 2


def test_removing_a_tag_from_the_person_page(as_mark, book, org):
    person = book["rita1"]
    person_tags_add(person, "vip, called-q4", by=org["ada"])
    response = as_mark.post(tags_url(person), {"remove": "vip"})
    assert response.status_code == 302 and said(response)[-1] == "Removed: vip."
    assert slugs(person) == ["called-q4"]
    entry = Interaction.objects.get(person=person, type="tag_removed")
    assert entry.object_id == "vip" and entry.properties["by"] == "mark"
    response = as_mark.post(tags_url(person), {"remove": "vip"})
    assert said(response)[-1] == "Nothing changed: the tags were already so."
    assert Interaction.objects.filter(person=person, type="tag_removed").count() == 1


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"add": ""}, "add", "Give a tag to add"),
        ({"add": "x" * 500}, "add", "longer than 60"),
        ({"add": "<script>alert(1)</script>"}, "add", "looks like HTML"),
        ({"add": "!!!, ???"}, "add", "no letter or digit"),
        ({"remove": "%%%"}, "remove", "no letter or digit"),
        ({"add": "a" * 3000}, "add", "at most 2000 characters"),
    ],
)
def test_bad_tag_names_get_the_form_back_with_the_error_on_its_field(as_mark, book, data, field, words):
    person = book["rita1"]
    response = as_mark.post(tags_url(person), data)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert field in response.context["form"].errors
    assert "<script>alert" not in response.content.decode()
    assert not Tag.objects.exists() and not Interaction.objects.filter(type="tag_added").exists()


def test_duplicates_in_one_request_make_one_tag(as_mark, book):
    person = book["rita1"]
    as_mark.post(tags_url(person), {"add": "VIP, vip , Vip,vip"})
    assert Tag.objects.count() == 1 and slugs(person) == ["vip"]
    assert Interaction.objects.filter(type="tag_added").count() == 1


def test_a_rep_sees_the_tags_of_their_person_but_cannot_change_them(client, org, book):
    person = book["rita1"]
    person_tags_add(person, "vip")
    client.force_login(org["rita"])
    page = client.get(profile_url(person)).content.decode()
    assert 'data-tag="vip"' in page and 'name="add"' not in page and 'name="remove"' not in page
    assert refused(client.get(tags_url(person)))
    assert refused(client.post(tags_url(person), {"add": "mine"}))
    assert refused(client.post(tags_url(person), {"remove": "vip"}))
    assert slugs(person) == ["vip"]


def test_with_the_right_a_rep_tags_only_the_people_they_may_see(client, make_role_user, book):
    tess = make_role_user("tess", SALES_REP, team="Inbound", extra_permissions=["leads.tag_people"])
    client.force_login(tess)
    assert client.post(tags_url(book["rita1"]), {"add": "vip"}).status_code == 404
    mine = Person.objects.create(email="own@tess.example", email_key="own@tess.example", owner=tess)
    assert client.post(tags_url(mine), {"add": "vip"}).status_code == 302
    assert slugs(mine) == ["vip"] and not PersonTag.objects.filter(person=book["rita1"]).exists()


def test_visitors_go_to_the_login_page_and_the_form_is_csrf_protected(client, org, book):
    response = client.post(tags_url(book["rita1"]), {"add": "vip"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org["mark"])
    assert strict.post(tags_url(book["rita1"]), {"add": "vip"}).status_code == 403
    assert not Tag.objects.exists()


# --- In bulk -----------------------------------------------------------------------------------------


def test_the_people_list_offers_each_user_the_bulk_actions_they_may_use(client, org, book):
    client.force_login(org["mark"])
    html = client.get("/admin/leads/person/").content.decode()
    assert "/admin/bulk/leads/person/add_tags/" in html and "/admin/bulk/leads/person/remove_tags/" in html
    assert "/admin/bulk/leads/person/accept/" not in html
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/").content.decode()
    assert "/admin/bulk/leads/person/accept/" in html and "/admin/bulk/leads/person/add_tags/" not in html
    client.force_login(org["ada"])
    html = client.get("/admin/leads/person/").content.decode()
    assert "/admin/bulk/leads/person/accept/" in html and "/admin/bulk/leads/person/add_tags/" in html


def test_a_rep_without_the_right_cannot_bulk_tag(client, org, book):
    client.force_login(org["rita"])
    url = bulk("add_tags", book["rita1"].pk)
    assert refused(client.get(url))
    assert refused(client.post(url, {"tags": "vip"}))
    assert not Tag.objects.exists()


def test_bulk_add_and_remove_on_checked_people(as_mark, org, book):
    people = [book["rita1"], book["ravi2"]]
    person_tags_add(book["rita1"], "vip")
    url = bulk("add_tags", *(p.pk for p in people))
    page = as_mark.get(url)
    assert page.status_code == 200 and 'data-tag-count="2"' in page.content.decode()
    response = as_mark.post(url, {"tags": "vip, trade-fair"})
    assert response.status_code == 302
    assert said(response)[-1] == "Tagged 2 people (vip, trade-fair)."
    assert slugs(book["rita1"]) == ["trade-fair", "vip"] and slugs(book["ravi2"]) == ["trade-fair", "vip"]
    assert PersonTag.objects.filter(source="bulk", added_by=org["mark"]).count() == 3
    assert Interaction.objects.filter(type="tag_added", properties__by="mark").count() == 3
    response = as_mark.post(bulk("remove_tags", *(p.pk for p in people)), {"tags": "trade-fair, never-had"})
    assert said(response)[-1] == "Untagged 2 people (trade-fair, never-had)."
    assert slugs(book["rita1"]) == ["vip"] and slugs(book["ravi2"]) == ["vip"]
    assert Tag.objects.filter(slug="never-had").exists() is False  # removing makes no tag


def test_bulk_tags_with_a_bad_name_get_the_form_back_naming_the_field(as_mark, book):
    url = bulk("add_tags", book["rita1"].pk)
    for bad in ("", "<b>x</b>", "...", "y" * 500):
        response = as_mark.post(url, {"tags": bad})
        assert response.status_code == 200 and "tags" in response.context["form"].errors
    assert not Tag.objects.exists()


def test_bulk_select_all_tags_everybody_the_filtered_list_shows(as_mark, org, book):
    url = bulk("add_tags", "all", query="grade=A1")
    page = as_mark.get(url).content.decode()
    assert 'data-tag-count="3"' in page  # rita1, ravi1, erin1: a marketer sees everybody
    as_mark.post(url, {"tags": "a-list"})
    tagged = set(PersonTag.objects.values_list("person__email", flat=True))
    assert tagged == {book[name].email for name in ("rita1", "ravi1", "erin1")}
    # Searching narrows it the same way as the list does.
    as_mark.post(bulk("add_tags", "all", query="q=RitaLead2"), {"tags": "searched"})
    assert [p.email for p in Person.objects.filter(person_tags__tag__slug="searched")] == [book["rita2"].email]


def test_bulk_select_all_in_a_reps_scope_only(client, make_role_user, book):
    tess = make_role_user("tess", SALES_REP, team="Inbound", extra_permissions=["leads.tag_people"])
    own = Person.objects.create(email="own@tess.example", email_key="own@tess.example", owner=tess, grade="A1")
    client.force_login(tess)
    client.post(bulk("add_tags", "all"), {"tags": "mine"})
    assert list(PersonTag.objects.values_list("person_id", flat=True)) == [own.pk]
    assert client.get(bulk("add_tags", book["rita1"].pk)).status_code == 404  # nobody of theirs


def test_bulk_select_all_refuses_invalid_filters_and_too_many_people(as_mark, book, monkeypatch):
    url = bulk("add_tags", "all", query="stage=bogus")
    assert "filters are not valid (stage)" in as_mark.get(url).content.decode()
    response = as_mark.post(url, {"tags": "x"})
    assert response.status_code == 302 and "filters are not valid" in said(response)[0]
    from sales import bulk_tags

    monkeypatch.setattr(bulk_tags, "MAX_TAGGED", 3)
    response = as_mark.post(bulk("add_tags", "all"), {"tags": "x"})
    assert "More than 3 people are selected" in said(response)[-1]
    assert not PersonTag.objects.exists()


def test_bulk_tagging_every_person_of_a_big_list_is_a_bounded_number_of_queries(
    as_mark, book, django_assert_max_num_queries
):
    Person.objects.bulk_create(
        [Person(email=f"many{n}@bulk.example", email_key=f"many{n}@bulk.example", grade="A1") for n in range(1500)]
    )
    url = bulk("add_tags", "all", query="grade=A1")
    as_mark.get(url)  # the session and the user's permissions, once
    with django_assert_max_num_queries(40):
        response = as_mark.post(url, {"tags": "big-list, second"})
    assert said(response)[-1] == "Tagged 1,503 people (big-list, second)."
    assert PersonTag.objects.count() == 3006


# --- The Tag filter ----------------------------------------------------------------------------------


@pytest.fixture
def tagged(book):
    person_tags_add(book["rita1"], "vip")
    person_tags_add(book["ravi2"], "vip, called-q4")
    person_tags_add(book["erin1"], "called-q4")
    return book


def test_the_tag_filter_on_the_people_list(client, org, tagged):
    client.force_login(org["mark"])
    html = client.get("/admin/leads/person/?tag=vip").content.decode()
    assert "RitaLead1" in html and "RaviLead2" in html and "ErinLead1" not in html
    people = list_queryset("people", user=org["mark"], params="tag=vip&tag=called-q4")
    assert {p.first_name for p in people} == {"RitaLead1", "RaviLead2", "ErinLead1"}
    assert {p.first_name for p in list_queryset("people", user=org["mark"], params="tag=VIP")} == {
        "RitaLead1",
        "RaviLead2",
    }
    # A rep's list is still only theirs.
    assert [p.first_name for p in list_queryset("people", user=org["rita"], params="tag=vip")] == ["RitaLead1"]
    # A well-formed tag that nobody has matches nobody (a saved filter outlives its tag).
    assert not list_queryset("people", user=org["mark"], params="tag=gone").exists()


def test_the_tag_filter_on_the_leads_and_companies_lists(org, tagged):
    from tests.factories.leads import LeadFactory

    for name in ("rita1", "ravi2", "erin1", "rita2"):
        LeadFactory(person=tagged[name])
    leads = list_queryset("leads", user=org["mark"], params="tag=called-q4")
    assert {lead.person.first_name for lead in leads} == {"RaviLead2", "ErinLead1"}
    companies = list_queryset("companies", user=org["mark"], params="tag=vip")
    assert {c.name for c in companies} == {"Meridian Bank", "Atlas Health"}
    # Erin's person at Meridian Bank has called-q4; Rita cannot see Erin's people.
    assert {c.name for c in list_queryset("companies", user=org["rita"], params="tag=called-q4")} == set()


@pytest.mark.parametrize("value", ["<script>", "a b", "x" * 61, "%00", "ünïcode!"])
def test_a_malformed_tag_is_an_error_naming_the_field(org, tagged, value):
    assert "tag" in list_filter_errors("people", user=org["mark"], params={"tag": value})


def test_a_list_with_a_malformed_tag_still_answers(client, org, tagged):
    client.force_login(org["mark"])
    response = client.get("/admin/leads/person/?tag=%3Cscript%3Ealert(7)%3C/script%3E")
    html = response.content.decode()
    assert response.status_code == 200 and "alert(7)</script>" not in html
    assert "RitaLead1" in html and "ErinLead1" in html  # the bad filter is left out, the list still shows


def test_the_tag_filter_is_on_every_list_and_is_cheap(client, org, tagged, django_assert_max_num_queries):
    client.force_login(org["mark"])
    for url in ("/admin/leads/person/", "/admin/leads/lead/", "/admin/leads/company/"):
        assert 'name="tag"' in client.get(url).content.decode()
    client.get("/admin/leads/person/?tag=vip")
    with django_assert_max_num_queries(30):
        assert client.get("/admin/leads/person/?tag=vip&tag=called-q4").status_code == 200


# --- Exports -----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.SALES_EXPORT_ROOT = str(tmp_path / "exports")


def test_exports_carry_the_tags_column(as_mark, org, tagged):
    person_tags_add(tagged["ravi2"], "=HYPERLINK(x)")
    response = as_mark.post(
        "/admin/sales/exports/new/",
        {"list": "people", "params": "tag=called-q4", "format": "csv", "use_default_columns": "1"},
    )
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert "Tags" in header
    cells = {row[header.index("First name")]: row[header.index("Tags")] for row in rows}
    assert cells == {"RaviLead2": "'=HYPERLINK(x), called-q4, vip", "ErinLead1": "called-q4"}


# --- The Tags screen ---------------------------------------------------------------------------------


def test_the_tags_screen_lists_counts_renames_and_deletes(as_mark, org, tagged):
    html = as_mark.get("/admin/leads/tags/").content.decode()
    assert "vip" in html and "called-q4" in html
    vip = Tag.objects.get(slug="vip")
    response = as_mark.post(f"/admin/leads/tags/edit/{vip.pk}/", {"name": "Very important"})
    assert response.status_code == 302
    vip.refresh_from_db()
    assert (vip.name, vip.slug) == ("Very important", "vip")
    response = as_mark.post(f"/admin/leads/tags/edit/{vip.pk}/", {"name": "Called Q4"})
    assert response.status_code == 200 and "already a tag" in response.content.decode()
    response = as_mark.post(f"/admin/leads/tags/edit/{vip.pk}/", {"name": "<script>x</script>"})
    assert response.status_code == 200 and "looks like HTML" in response.content.decode()
    response = as_mark.post("/admin/leads/tags/new/", {"name": "Fresh"})
    assert response.status_code == 302 and Tag.objects.get(slug="fresh").created_by == org["mark"]
    response = as_mark.post(f"/admin/leads/tags/delete/{vip.pk}/")
    assert response.status_code == 302 and not Tag.objects.filter(slug="vip").exists()
    removed = Interaction.objects.filter(type="tag_removed", object_id="vip")
    assert {entry.person_id for entry in removed} == {tagged["rita1"].pk, tagged["ravi2"].pk}
    assert all(entry.properties["by"] == "mark" for entry in removed)


def test_the_tags_screen_counts_people(as_mark, tagged):
    response = as_mark.get("/admin/leads/tags/")
    rows = {tag.slug: tag.people_count for tag in response.context["object_list"]}
    assert rows == {"vip": 2, "called-q4": 2}


@pytest.mark.parametrize("username", ["rita", "mona", "eddie"])
def test_the_tags_screen_refuses_those_without_the_right(client, org, tagged, username):
    client.force_login(org[username])
    vip = Tag.objects.get(slug="vip")
    for response in (
        client.get("/admin/leads/tags/"),
        client.post(f"/admin/leads/tags/edit/{vip.pk}/", {"name": "x"}),
        client.post(f"/admin/leads/tags/delete/{vip.pk}/"),
        client.post("/admin/leads/tags/new/", {"name": "x"}),
    ):
        assert response.status_code in (302, 403) and response.get("Location", "/admin/") == "/admin/"
    assert Tag.objects.get(pk=vip.pk).name == "vip" and Tag.objects.count() == 2


def test_tags_resolve_is_shared_with_the_bulk_action(org):
    (tag,) = tags_resolve(["Shared"], by=org["mark"])
    assert tag.created_by == org["mark"]
