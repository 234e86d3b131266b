"""Content performance (issue 18 item 6): per page views, visitors, CTA and link clicks, form views and
fills, conversion rate, and the MQLs, opportunities and revenue it influenced; editors see the content
columns only; the variant statistics moved in here and their old address redirects."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from leads.models import Deal
from personalization.models import VariantStat
from reports.models import PersonJourney
from sales.roles import EDITOR, MARKETER, SALES_REP, roles_ensure
from tests.factories import LeadFormPageFactory, WhitepaperPageFactory
from tests.factories.leads import InteractionFactory, LeadFactory, PersonFactory, UserFactory
from tests.factories.pages import CaseStudyPageFactory
from tests.factories.personalization import SegmentFactory
from tests.reports.funnel_data import list_count

URL = "/admin/reports/content/"


def csv_table(client, query):
    response = client.get(URL, {**query, "format": "csv"})
    assert response.status_code == 200, response.content[:500]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def login(client, role=None, *, superuser=False):
    user = UserFactory(is_superuser=superuser, is_staff=superuser)
    if role:
        roles_ensure()
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def view(page, *, at, visitor="", person=None):
    return InteractionFactory(
        type="page_view",
        occurred_at=at,
        person=person,
        visitor_id=visitor,
        object_type="page",
        object_id=page.slug,
        properties={"path": page.url, "page_id": page.pk},
    )


def journey(person, **moments):
    return PersonJourney.objects.create(person=person, created_at=person.created_at, **moments)


@pytest.fixture
def site(home_page, case_study_index, whitepaper_index):
    gate = LeadFormPageFactory(parent=home_page, title="Get it", slug="get-it")
    whitepaper = WhitepaperPageFactory(
        parent=whitepaper_index, title="AI in banking", slug="ai-banking", gate_form=gate
    )
    story = CaseStudyPageFactory(parent=case_study_index, title="Northwind cut response time", slug="northwind")
    return whitepaper, story


@pytest.fixture
def traffic(site):
    """Yesterday: the whitepaper viewed 4 times by 3 visitors (one a person without a browser id), two
    fills (one spam), the case study viewed once, its CTA and one link clicked. A view a month ago
    and a view of a page no longer there do not reach the whitepaper's numbers."""
    whitepaper, story = site
    yesterday = timezone.now() - timedelta(days=1)
    view(whitepaper, at=yesterday, visitor="v_aaaaaaaaaaaa")
    view(whitepaper, at=yesterday + timedelta(minutes=5), visitor="v_aaaaaaaaaaaa")
    view(whitepaper, at=yesterday, visitor="v_bbbbbbbbbbbb")
    view(whitepaper, at=yesterday, person=PersonFactory())
    view(whitepaper, at=timezone.now() - timedelta(days=40), visitor="v_cccccccccccc")
    view(story, at=yesterday, visitor="v_bbbbbbbbbbbb")
    LeadFactory(origin_type="content", origin_id=str(whitepaper.pk), received_at=yesterday)
    LeadFactory(origin_type="content", origin_id=str(whitepaper.pk), received_at=yesterday, verdict="flagged")
    LeadFactory(origin_type="content", origin_id=str(whitepaper.pk), received_at=yesterday - timedelta(days=60))
    VariantStat.objects.create(
        day=timezone.localdate() - timedelta(days=1), page_id=story.pk, block="Hero", impressions=10, clicks=2
    )
    for _ in range(3):
        InteractionFactory(
            type="custom_event",
            object_type="custom",
            object_id="link_click",
            occurred_at=yesterday,
            person=None,
            visitor_id="v_bbbbbbbbbbbb",
            properties={"page_id": story.pk, "href": "/pricing/"},
        )
    return whitepaper, story


def test_each_page_has_its_views_visitors_clicks_and_fills(client, traffic):
    whitepaper, story = traffic
    login(client, superuser=True)
    rows = {row["Page"]: row for row in csv_table(client, {"period": "7d", "table": "pages"})}
    paper = rows["AI in banking"]
    assert (paper["Type"], paper["Views"], paper["Unique visitors"]) == ("Whitepaper", "4", "3")
    assert (paper["Form views"], paper["Form fills"], paper["Conversion rate"]) == ("4", "1", "0.3333")
    case = rows["Northwind cut response time"]
    assert (case["Type"], case["Views"], case["Unique visitors"], case["Form views"]) == ("Case study", "1", "1", "")
    assert (case["CTA clicks"], case["CTA click rate"], case["Link clicks"]) == ("2", "0.2000", "3")
    links = csv_table(client, {"period": "7d", "table": "links"})
    assert links == [
        {
            "Page": "Northwind cut response time",
            "Link": "/pricing/",
            "Clicks": "3",
            "Page views": "1",
            "Clicks per view": "3.0000",
        }
    ]
    # The 90 days take the view of 40 days ago in; the fill of 60 days ago too.
    paper = {row["Page"]: row for row in csv_table(client, {"period": "90d", "table": "pages"})}["AI in banking"]
    assert (paper["Views"], paper["Unique visitors"], paper["Form fills"]) == ("5", "4", "2")


def test_the_page_shows_charts_and_tables(client, traffic):
    login(client, superuser=True)
    html = client.get(URL, {"period": "7d"}).content.decode()
    assert 'role="img"' in html and "Most viewed pages" in html and "Form fills per page" in html
    assert "AI in banking" in html and "Links clicked (page analysis)" in html
    assert "MQLs influenced" in html


@pytest.fixture
def influenced(site):
    """Ann read the whitepaper, then became an MQL and an opportunity, and won a deal of 50,000 opened
    after her read. Bob became an MQL first and read it afterwards. A test person read it before
    becoming an MQL. Cleo downloaded the whitepaper (a capture, no view) before her MQL."""
    whitepaper, _story = site
    now = timezone.now()
    ann, bob, tester, cleo = PersonFactory(), PersonFactory(), PersonFactory(), PersonFactory()
    view(whitepaper, at=now - timedelta(days=20), person=ann, visitor="v_annannannann")
    journey(ann, mql_at=now - timedelta(days=3), opportunity_at=now - timedelta(days=2))
    Deal.objects.create(
        crm_id="opp-1",
        person=ann,
        status=Deal.Status.WON,
        amount=Decimal("50000"),
        currency="EUR",
        amount_report=Decimal("50000"),
        close_date=timezone.localdate() - timedelta(days=1),
        opened_at=now - timedelta(days=2),
        crm_changed_at=now - timedelta(days=1),
    )
    view(whitepaper, at=now - timedelta(days=2), person=bob, visitor="v_bobbobbobbob")
    journey(bob, mql_at=now - timedelta(days=4))
    view(whitepaper, at=now - timedelta(days=6), person=tester)
    journey(tester, mql_at=now - timedelta(days=5), is_excluded=True)
    InteractionFactory(
        type="content_download",
        occurred_at=now - timedelta(days=6),
        person=cleo,
        object_type="content",
        object_id=str(whitepaper.pk),
    )
    journey(cleo, mql_at=now - timedelta(days=5))
    return whitepaper, ann


def test_influenced_conversions_count_people_who_touched_the_page_before(client, influenced):
    login(client, role=MARKETER)
    paper = {row["Page"]: row for row in csv_table(client, {"period": "7d", "table": "pages"})}["AI in banking"]
    # Ann (view) and Cleo (download) before their MQL; Bob read it after his; the test person never counts.
    assert paper["MQLs influenced"] == "2"
    assert paper["Opportunities influenced"] == "1"
    assert paper["Won revenue influenced"] == "50000.00"
    assert paper["Known people"] == "1"  # Bob viewed it in the 7 days; Ann's read was 20 days ago
    # The 30 days hold Ann's read too (the test person's never); the people list opened from the count
    # shows the same people.
    html = client.get(URL, {"period": "30d"}).content.decode()
    paper = {row["Page"]: row for row in csv_table(client, {"period": "30d", "table": "pages"})}["AI in banking"]
    assert paper["Known people"] == "2"
    link = re.search(r'href="(/admin/leads/person/\?behaviour=visited_url[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "behaviour_value=%2Fwhitepapers%2Fai-banking%2F" in link and "behaviour_days=30" in link
    assert list_count(client, link) == 2
    # A period that ends before today has no list that says the same: counted, not linked.
    today = timezone.localdate()
    to_yesterday = {"from": (today - timedelta(days=29)).isoformat(), "to": (today - timedelta(days=1)).isoformat()}
    html = client.get(URL, to_yesterday).content.decode()
    paper = {row["Page"]: row for row in csv_table(client, {**to_yesterday, "table": "pages"})}["AI in banking"]
    assert paper["Known people"] == "2" and "behaviour=visited_url" not in html


def test_a_sales_rep_sees_influence_over_their_own_people_only(client, influenced):
    whitepaper, ann = influenced
    rep = login(client, role=SALES_REP)
    paper = {row["Page"]: row for row in csv_table(client, {"period": "7d", "table": "pages"})}["AI in banking"]
    assert (paper["MQLs influenced"], paper["Won revenue influenced"]) == ("0", "0.00")
    PersonJourney.objects.filter(person=ann).update(owner=rep)
    ann.owner = rep
    ann.save(update_fields=["owner"])
    paper = {row["Page"]: row for row in csv_table(client, {"period": "7d", "table": "pages"})}["AI in banking"]
    assert (paper["MQLs influenced"], paper["Opportunities influenced"], paper["Won revenue influenced"]) == (
        "1",
        "1",
        "50000.00",
    )


def test_an_editor_sees_content_columns_but_no_people_or_revenue(client, traffic, influenced):
    login(client, role=EDITOR)
    response = client.get(URL, {"period": "7d"})
    html = response.content.decode()
    assert response.status_code == 200 and "AI in banking" in html
    assert "MQLs influenced" not in html and "revenue" not in html.lower().split("<main")[-1].split("</main>")[0]
    rows = csv_table(client, {"period": "7d", "table": "pages"})
    assert "Won revenue influenced" not in rows[0] and rows[0]["Views"]
    assert client.get("/admin/reports/events/").status_code in (302, 403)  # not a content report
    assert "Content performance" in client.get("/admin/").content.decode()


def test_nobody_without_a_report_right_gets_in(client, traffic):
    login(client)
    response = client.get(URL)
    assert response.status_code in (302, 403) and "AI in banking" not in response.content.decode()


def test_hostile_page_titles_are_escaped(client, site):
    whitepaper, _ = site
    whitepaper.title = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    whitepaper.save()
    view(whitepaper, at=timezone.now() - timedelta(hours=2), visitor="v_dddddddddddd")
    login(client, superuser=True)
    html = client.get(URL, {"period": "7d"}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


@pytest.mark.parametrize(
    ("query", "field"), [({"period": "forever"}, "period"), ({"from": "2026-13-01", "to": "2026-12-01"}, "from")]
)
def test_a_wrong_period_is_a_400_naming_it(client, site, query, field):
    login(client, superuser=True)
    response = client.get(URL, query)
    assert response.status_code == 400 and f"<strong>{field}</strong>" in response.content.decode()
    assert client.get(URL, {"format": "csv", "table": "nope"}).status_code == 400


def test_variant_statistics_live_in_the_content_report(client, site):
    whitepaper, _story = site
    segment = SegmentFactory(name="Banking campaign")
    day = timezone.localdate() - timedelta(days=2)
    VariantStat.objects.create(day=day, page_id=whitepaper.pk, block="Hero", segment_id=segment.pk, impressions=8)
    VariantStat.objects.create(day=day, page_id=whitepaper.pk, block="Hero", segment_id=0, impressions=4, clicks=1)
    VariantStat.objects.create(
        day=day - timedelta(days=30), page_id=whitepaper.pk, block="Hero", segment_id=0, impressions=100
    )
    login(client, superuser=True)
    rows = csv_table(client, {"period": "7d", "table": "variants"})
    assert [(row["Variant"], row["Impressions"], row["CTA clicks"], row["Click rate"]) for row in rows] == [
        ("Banking campaign", "8", "0", "0.0000"),
        ("Default", "4", "1", "0.2500"),
    ]
    assert {row["Page"] for row in rows} == {"AI in banking"}
    html = client.get(URL, {"period": "7d"}).content.decode()
    assert "Variant impressions" in html and "Banking campaign" in html


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("7", "?period=7d"),
        ("90", "?period=90d"),
        ("365", "?period=12m"),
        ("bad", "?period=30d"),
    ],
)
def test_the_old_variant_statistics_address_redirects_with_its_period(client, site, days, expected):
    login(client, superuser=True)
    response = client.get("/admin/personalisation/statistics/", {"days": days})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/reports/content/{expected}#rp-table-variants"


def test_an_odd_number_of_days_becomes_a_custom_period(client, site):
    login(client, superuser=True)
    today = timezone.localdate()
    location = client.get("/admin/personalisation/statistics/?days=14")["Location"]
    start = (today - timedelta(days=13)).isoformat()
    assert location == f"/admin/reports/content/?period=custom&from={start}&to={today.isoformat()}#rp-table-variants"
    assert client.get(location.split("#")[0]).status_code == 200


def test_whoever_read_the_variant_statistics_still_can(client, django_user_model, site):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("segments", "s@example.com", "pw-123-secret")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="personalization", codename="view_segment"),
    )
    client.force_login(user)
    location = client.get("/admin/personalisation/statistics/")["Location"]
    assert client.get(location.split("#")[0]).status_code == 200
    assert "Content performance" in client.get("/admin/").content.decode()
    # Without a segment or report right, neither the old address nor the report.
    other = django_user_model.objects.create_user("nobody", "n@example.com", "pw-123-secret")
    other.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    client.force_login(other)
    assert client.get("/admin/personalisation/statistics/")["Location"] == "/admin/"
    assert "Content performance" not in client.get("/admin/").content.decode()


def test_link_clicks_sent_by_the_sites_script_reach_the_page_analysis(client, site):
    """What site/static/js/links.js posts for a click (the page's path, the link without its query):
    through the track API and the behaviour buffer, it lands on the page it was clicked on."""
    from django.test import Client

    from leads.tasks import page_views_write
    from tests.personalization.conftest import DESKTOP_UA

    whitepaper, _story = site
    click = {"type": "custom_event", "name": "link_click", "properties": {"path": whitepaper.url, "href": "/demo/"}}
    body = {"visitor_id": "v_linkclicker0000000001", "events": [click, click]}
    response = Client().post("/api/v1/track", body, content_type="application/json", HTTP_USER_AGENT=DESKTOP_UA)
    assert response.status_code == 202 and response.json()["recorded"] == 2
    page_views_write.call()
    login(client, superuser=True)
    rows = csv_table(client, {"period": "7d", "table": "links"})
    assert [(row["Page"], row["Link"], row["Clicks"]) for row in rows] == [("AI in banking", "/demo/", "2")]
    pages = {row["Page"]: row for row in csv_table(client, {"period": "7d", "table": "pages"})}
    assert pages["AI in banking"]["Link clicks"] == "2"
