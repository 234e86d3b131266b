"""Saved filters: saving a list's filters from its bar, using them (own and shared), managing them.

Rita and Ravi are Inbound reps, Mona the Inbound manager, Eddie an editor, Ada an administrator
(tests/sales/conftest.py).
"""

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from sales.models import SavedFilter
from sales.saved_filter_demo import saved_filters_demo
from sales.saved_filters import saved_filter_context
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

CREATE = "/admin/sales/saved-filters/create/"
MANAGE = "/admin/sales/saved-filters/"


def save(
    client, name="My MQLs this week", query="stage=mql&owner=me&period=this_week", list_name="people", shared=False
):
    data = {"name": name, "list_name": list_name, "query": query}
    if shared:
        data["is_shared"] = "on"
    return client.post(CREATE, data)


def errors(response):
    return response.context["form"].errors


@pytest.fixture
def filters(org):
    """Rita's private and shared filters, Ravi's private and shared ones, Erin's shared one on companies."""
    make = SavedFilter.objects.create
    return SimpleNamespace(
        rita_private=make(owner=org["rita"], list_name="people", name="Rita's hot ones", query="grade=A1"),
        rita_shared=make(
            owner=org["rita"], list_name="people", name="Inbound MQLs", query="owner=me&stage=mql", is_shared=True
        ),
        ravi_private=make(owner=org["ravi"], list_name="people", name="Ravi's secret list", query="grade=B2"),
        ravi_shared=make(
            owner=org["ravi"],
            list_name="people",
            name="Banking this month",
            query="industry=banking&period=this_month",
            is_shared=True,
        ),
        erin_companies=make(
            owner=org["erin"], list_name="companies", name="Key accounts", query="is_key_account=true", is_shared=True
        ),
    )


# --- Saving ---------------------------------------------------------------------------------------


def test_saving_keeps_the_filters_without_paging_noise_and_goes_back_to_the_list(client, org):
    client.force_login(org["rita"])
    response = save(
        client,
        query="stage=mql&owner=me&period=this_week&p=3&after=eyJ2IjoxfQ&before=x"
        "&_w_filter_fragment=1&export=csv&ordering=-created_at",
        shared=True,
    )
    saved = SavedFilter.objects.get()
    assert (saved.owner, saved.list_name, saved.name, saved.is_shared) == (
        org["rita"],
        "people",
        "My MQLs this week",
        True,
    )
    # Relative values stay relative; the sort order is kept; keys in one stable order.
    assert saved.query == "ordering=-created_at&owner=me&period=this_week&stage=mql"
    assert response.status_code == 302
    assert response["Location"] == "/admin/leads/person/?ordering=-created_at&owner=me&period=this_week&stage=mql"


@pytest.mark.parametrize(
    "list_name,query,url",
    [
        (
            "companies",
            "industry=banking&company_size=5000%2B&zzz=1",
            "/admin/leads/company/?company_size=5000%2B&industry=banking",
        ),
        (
            "leads",
            "origin_type=content&source=content:42&verdict=flagged&p=2",
            "/admin/leads/lead/?origin_type=content&source=content:42&verdict=flagged",
        ),
    ],
)
def test_saving_on_the_other_lists(client, org, list_name, query, url):
    client.force_login(org["mona"])
    response = save(client, name="Mine", list_name=list_name, query=query)
    assert response.status_code == 302 and response["Location"] == url
    assert SavedFilter.objects.get().list_name == list_name


def test_a_duplicate_name_is_an_error_on_the_name_field(client, org):
    client.force_login(org["rita"])
    save(client)
    response = save(client, name="my mqls THIS week", query="stage=sql")
    assert response.status_code == 200
    assert errors(response)["name"] == [
        "There is already a saved filter called “my mqls THIS week” on the People list."
    ]
    assert "There is already a saved filter" in response.content.decode()
    assert SavedFilter.objects.count() == 1
    # The same name on another list, or somebody else's, is fine.
    assert save(client, list_name="leads", query="stage=mql").status_code == 302
    client.force_login(org["ravi"])
    assert save(client).status_code == 302
    assert SavedFilter.objects.count() == 3


def test_a_duplicate_that_slips_past_the_form_is_still_an_error_on_the_name(client, org, monkeypatch):
    from django import forms

    from sales.saved_filters import SavedFilterForm

    client.force_login(org["rita"])
    save(client)
    monkeypatch.setattr(SavedFilterForm, "clean", forms.ModelForm.clean)  # two requests at the same moment
    response = save(client, query="stage=sql")
    assert response.status_code == 200
    assert errors(response)["name"] == [
        "There is already a saved filter called “My MQLs this week” on the People list."
    ]
    assert SavedFilter.objects.count() == 1


@pytest.mark.parametrize(
    "name,message",
    [
        ("", "Give the filter a name."),
        ("   ", "Give the filter a name."),
        ("x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
    ],
)
def test_a_name_is_required_and_short(client, org, name, message):
    client.force_login(org["rita"])
    response = save(client, name=name)
    assert response.status_code == 200 and errors(response)["name"] == [message]
    assert not SavedFilter.objects.exists()


def test_unknown_parameters_are_dropped(client, org):
    client.force_login(org["rita"])
    save(
        client,
        query="stage=mql&__proto__=x&%3Cscript%3E=1&grade=A1&grade=A1&grade=&owner=&q=%00&"
        "source=content:42&" + "z" * 5000 + "=1",
    )
    assert SavedFilter.objects.get().query == "grade=A1&source=content:42&stage=mql"


@pytest.mark.parametrize(
    "query,message",
    [
        ("q=" + "a" * 10_000, "These filters are too long to save (10,002 characters; at most 2,000)."),
        ("zzz=1&" * 1700, "Too many parameters to save (at most 200)."),
        ("grade=A1&" * 1200, "Too many parameters to save (at most 200)."),
        ("ordering=-created_at", "Nothing to save: choose at least one filter on the list first."),
        ("zzz=1&p=2", "Nothing to save: choose at least one filter on the list first."),
        ("", "Nothing to save: choose at least one filter on the list first."),
    ],
)
def test_a_query_that_cannot_be_saved_is_an_error_on_the_filters(client, org, query, message):
    client.force_login(org["rita"])
    response = save(client, query=query)
    assert response.status_code == 200 and errors(response)["query"] == [message]
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize("list_name", ["gated", "zzz", ""])
def test_only_the_three_lists_take_saved_filters(client, org, list_name):
    client.force_login(org["rita"])
    response = save(client, list_name=list_name)
    assert response.status_code == 200 and "list_name" in errors(response)
    assert not SavedFilter.objects.exists()


def test_saving_needs_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["rita"])
    assert save(client).status_code == 403
    assert not SavedFilter.objects.exists()


def test_the_save_form_has_a_page_of_its_own(client, org):
    client.force_login(org["rita"])
    response = client.get(CREATE, {"list": "companies", "query": "industry=banking"})
    assert response.status_code == 200
    form = response.context["form"]
    assert (form.initial["list_name"], form.initial["query"]) == ("companies", "industry=banking")
    assert 'name="query"' in response.content.decode()


def test_editors_cannot_save_or_manage(client, org, filters):
    client.force_login(org["eddie"])
    response = save(client)
    assert response.status_code == 302 and not SavedFilter.objects.filter(owner=org["eddie"]).exists()
    assert client.get(MANAGE).status_code == 302
    assert client.get(f"/admin/sales/saved-filters/edit/{filters.rita_shared.pk}/").status_code == 302


# --- The bar above each list ----------------------------------------------------------------------


def bar_for(user, path="/admin/leads/person/", list_name="people", **params):
    request = RequestFactory().get(path, params)
    request.user = user
    return request, saved_filter_context(request, list_name)["saved_filter_bar"]


def test_the_bar_lists_my_filters_and_the_shared_ones_in_one_query(org, filters, django_assert_num_queries):
    rita = org["rita"]
    rita.has_perm("sales.view_savedfilter")  # the listing has loaded her permissions already
    with django_assert_num_queries(1):
        request, bar = bar_for(rita, stage="mql", p="2", after="cursor")
    assert [f.name for f in bar["mine"]] == ["Inbound MQLs", "Rita's hot ones"]
    assert [f.name for f in bar["shared"]] == ["Banking this month"]  # not Ravi's private one, not Erin's companies
    assert bar["query"] == "stage=mql" and bar["has_filters"] and bar["can_save"]
    assert bar["index_url"] == "/admin/leads/person/"
    assert bar["shared"][0].apply_url == "/admin/leads/person/?industry=banking&period=this_month"

    html = render_to_string("sales/saved_filters/_bar.html", {"saved_filter_bar": bar}, request=request)
    assert 'href="/admin/leads/person/?industry=banking&amp;period=this_month"' in html
    assert "Ravi&#x27;s secret list" not in html and "Ravi's secret list" not in html and "Key accounts" not in html
    assert 'action="/admin/sales/saved-filters/create/"' in html and "csrfmiddlewaretoken" in html
    assert 'name="query" value="stage=mql"' in html


def test_the_bar_marks_the_filter_in_use_and_offers_no_save_without_filters(org, filters):
    _, bar = bar_for(org["rita"], owner="me", stage="mql", p="3")
    assert bar["current"] == filters.rita_shared and not bar["can_save"]  # hers already
    _, bar = bar_for(org["ravi"], owner="me", stage="mql")
    assert bar["current"] == filters.rita_shared and bar["can_save"]  # he may keep a copy of his own
    _, bar = bar_for(org["rita"], ordering="-created_at")
    assert bar["current"] is None and not bar["has_filters"] and not bar["can_save"]
    _, bar = bar_for(org["erin"], path="/admin/leads/company/", list_name="companies")
    assert [f.name for f in bar["mine"]] == ["Key accounts"] and bar["index_url"] == "/admin/leads/company/"
    _, bar = bar_for(org["rita"], q="x" * 3000)
    assert not bar["can_save"] and "too long" in bar["problem"]


def test_no_bar_for_lists_without_saved_filters_or_users_without_them(org, filters):
    assert bar_for(org["rita"], list_name="gated")[1] is None
    assert bar_for(org["eddie"])[1] is None


def test_the_people_list_shows_the_bar(client, org, filters):
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/", {"stage": "mql"}).content.decode()
    assert 'data-saved-filter-bar="people"' in html
    assert "Banking this month" in html and "Inbound MQLs" in html and "Ravi's secret list" not in html
    assert "Save these filters" in html


# --- Applying -------------------------------------------------------------------------------------


def test_me_is_whoever_applies_a_shared_filter(client, org, book, filters):
    mona_own = PersonFactory(first_name="MonaLead", last_name="Example", owner=org["mona"], stage="mql")
    client.force_login(org["rita"])
    html = client.get(f"/admin/leads/person/?{filters.rita_shared.query}").content.decode()
    assert "RitaLead1" in html and "MonaLead" not in html
    # Mona (who sees Rita's people too) applies Rita's shared "owner=me": her own people, not Rita's.
    client.force_login(org["mona"])
    _, bar = bar_for(org["mona"])
    applied = next(f for f in bar["shared"] if f.pk == filters.rita_shared.pk)
    response = client.get(applied.apply_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert mona_own.first_name in html and "RitaLead1" not in html and "RaviLead1" not in html


# --- Managing -------------------------------------------------------------------------------------


def test_the_management_screen_shows_mine_and_the_shared_ones(client, org, filters):
    client.force_login(org["rita"])
    response = client.get(MANAGE)
    assert response.status_code == 200
    listed = {f.name for f in response.context["object_list"]}
    assert listed == {"Rita's hot ones", "Inbound MQLs", "Banking this month", "Key accounts"}
    html = response.content.decode()
    assert f"/admin/sales/saved-filters/edit/{filters.rita_private.pk}/" in html
    assert f"/admin/sales/saved-filters/delete/{filters.rita_private.pk}/" in html
    assert f"/admin/sales/saved-filters/edit/{filters.ravi_shared.pk}/" not in html  # not hers to change
    assert f"/admin/sales/saved-filters/delete/{filters.ravi_shared.pk}/" not in html
    assert 'href="/admin/leads/person/?industry=banking&amp;period=this_month"' in html  # applying it


def test_the_owner_renames_shares_and_deletes(client, org, filters):
    client.force_login(org["rita"])
    edit = f"/admin/sales/saved-filters/edit/{filters.rita_private.pk}/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "Rita's A1s", "is_shared": "on"})
    assert response.status_code == 302
    filters.rita_private.refresh_from_db()
    assert (filters.rita_private.name, filters.rita_private.is_shared) == ("Rita's A1s", True)
    client.post(edit, {"name": "Rita's A1s"})  # unticked: private again
    filters.rita_private.refresh_from_db()
    assert not filters.rita_private.is_shared
    response = client.post(edit, {"name": "inbound mqls"})  # her other filter's name
    assert response.status_code == 200 and "There is already a saved filter" in errors(response)["name"][0]
    delete = f"/admin/sales/saved-filters/delete/{filters.rita_private.pk}/"
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not SavedFilter.objects.filter(pk=filters.rita_private.pk).exists()


@pytest.mark.parametrize("target", ["rita_shared", "rita_private"])
def test_others_get_a_404(client, org, filters, target):
    saved = getattr(filters, target)
    client.force_login(org["ravi"])
    assert client.get(f"/admin/sales/saved-filters/edit/{saved.pk}/").status_code == 404
    assert client.post(f"/admin/sales/saved-filters/edit/{saved.pk}/", {"name": "Mine now"}).status_code == 404
    assert client.get(f"/admin/sales/saved-filters/delete/{saved.pk}/").status_code == 404
    assert client.post(f"/admin/sales/saved-filters/delete/{saved.pk}/").status_code == 404
    saved.refresh_from_db()
    assert saved.name != "Mine now" and saved.owner == org["rita"]
    assert client.get("/admin/sales/saved-filters/edit/999999/").status_code == 404


def test_an_administrator_may_tidy_up_anybodys_filter(client, org, filters):
    client.force_login(org["ada"])
    edit = f"/admin/sales/saved-filters/edit/{filters.rita_shared.pk}/"
    assert client.post(edit, {"name": "Inbound MQLs (team)", "is_shared": "on"}).status_code == 302
    filters.rita_shared.refresh_from_db()
    assert filters.rita_shared.name == "Inbound MQLs (team)" and filters.rita_shared.owner == org["rita"]
    assert client.post(f"/admin/sales/saved-filters/delete/{filters.ravi_private.pk}/").status_code == 302
    assert not SavedFilter.objects.filter(pk=filters.ravi_private.pk).exists()


def test_the_menu_has_saved_filters_for_sales_not_for_editors(client, org):
    client.force_login(org["rita"])
    assert MANAGE in client.get("/admin/").content.decode()
    client.force_login(org["eddie"])
    assert MANAGE not in client.get("/admin/").content.decode()


# --- Demo -----------------------------------------------------------------------------------------


def test_the_demo_filters(org):
    whitepaper = SimpleNamespace(pk=42, title="State of RevOps 2026")
    first = saved_filters_demo(org["ada"], whitepaper=whitepaper)
    again = saved_filters_demo(org["ada"], whitepaper=whitepaper)
    assert [f.pk for f in first] == [f.pk for f in again] and SavedFilter.objects.count() == 2
    mqls, revops = again
    assert (mqls.name, mqls.query, mqls.is_shared) == ("My MQLs this week", "owner=me&period=this_week&stage=mql", True)
    assert revops.name == "State of RevOps 2026, grades A1-B2"
    assert revops.query == "grade=A1&grade=A2&grade=B1&grade=B2&source=content:42" and revops.is_shared
