"""The person 360 view and the company view, through the admin's HTTP surface."""

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from leads.models import Interaction, Lead, Person, ScoringRule
from leads.privacy import mask_email, mask_phone
from leads.services import person_rescore, sales_accept, sales_reject, score_explanation, stage_change
from sales.audit import PROFILE_VIEW_ACTION
from sales.profile_selectors import TIMELINE_KINDS, timeline_cursor
from sales.scores import whole_points
from tests.factories.leads import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
ALL_TYPES = [
    "page_view",
    "content_download",
    "form_submit",
    "event_registered",
    "event_attended",
    "contact_sales",
    "email_open",
    "email_click",
    "unsubscribe",
]


def profile_url(person):
    return reverse("leads_person:inspect", args=[person.pk])


def timeline_url(person):
    return reverse("leads_person:timeline", args=[person.pk])


def company_url(company):
    return reverse("leads_company:inspect", args=[company.pk])


def text(response) -> str:
    return unescape(response.content.decode())


def timeline_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-interaction="(\d+)"', html)]


def lead(person, *, label, campaign="", consent=None, days_ago=1, verdict="clean"):
    mapped = json.dumps({"consent": consent} if consent else {})
    return Lead.objects.create(
        source="form",
        origin_type="content",
        origin_id="42",
        origin_label=label,
        utm_campaign=campaign,
        verdict=verdict,
        person=person,
        raw_payload="{}",
        mapped_fields=mapped,
        received_at=NOW - timedelta(days=days_ago),
    )


def interactions(person, count, *, start_days_ago=1, type="page_view", label="Pricing page"):
    """`count` interactions an hour apart: page views that far apart are a visit each on the timeline."""
    return Interaction.objects.bulk_create(
        [
            Interaction(
                person=person,
                type=type,
                object_label=f"{label} {n}",
                occurred_at=NOW - timedelta(days=start_days_ago, hours=n),
            )
            for n in range(count)
        ]
    )


@pytest.fixture
def story(book, org):
    """Rita's first person with the whole story: leads, one interaction of each kind, stage moves by
    people and by the rules, and a score with fit and interest lines."""
    person = book["rita1"]
    person.is_personal_email = True
    person.save(update_fields=["is_personal_email"])
    ScoringRule.objects.create(
        name="Banking", kind="fit", attribute="company__industry", operator="in", value="banking", points=30
    )
    ScoringRule.objects.create(name="Downloads", kind="interest", interaction_type="content_download", points=10)
    ScoringRule.objects.create(
        name="Attendance", kind="interest", interaction_type="event_attended", points=15, half_life_days=30
    )
    for n, kind in enumerate(ALL_TYPES):
        Interaction.objects.create(
            person=person, type=kind, object_label=f"Object of {kind}", occurred_at=NOW - timedelta(days=2, hours=n)
        )
    lead(person, label="Whitepaper: AI in Banking", campaign="q3-ai", consent="granted", days_ago=5)
    lead(person, label="Webinar: Open Banking", campaign="webinar-ob", days_ago=3, verdict="flagged")
    stage_change(
        person, "mql", reason_type="rule", reason="Grade A1 meets the MQL condition", at=NOW - timedelta(days=4)
    )
    sales_reject(person, actor=org["ravi"], reason="No budget this year")
    sales_accept(person, actor=org["mona"], note="Budget found after all")
    person_rescore(person)
    person.refresh_from_db()
    return person


# --- The whole story ---------------------------------------------------------------------------


def test_profile_tells_the_whole_story(client, org, story):
    client.force_login(org["mona"])  # the manager of rita's team, with the personal-data right
    response = client.get(profile_url(story))
    assert response.status_code == 200
    html = text(response)

    # Header: name, job title, company with a link to its view, grade, fit, interest, score, stage, owner.
    assert "RitaLead1 Example" in html and "Head of Marketing" in html
    assert f'<a href="{company_url(story.company)}">Meridian Bank</a>' in html
    assert f'data-fact="grade">{story.grade}<' in html
    assert f'data-fact="fit">{story.fit_score}<' in html
    assert re.search(r'data-fact="stage">Sales qualified \(SQL\)\s*<span class="sp-muted">since ', html)
    assert 'data-fact="owner">Rita<' in html
    assert 'data-fact="consent">Unknown<' in html and 'data-fact="do_not_contact">No<' in html
    assert '<li class="sp-flag">Personal email</li>' in html

    # Attributes in full for a manager.
    assert f'data-attr="email">{story.email}<' in html and f'data-attr="phone">{story.phone}<' in html

    # Score explanation: each line in whole points (its decimals in the title), adding up to the score.
    lines = score_explanation(story)
    assert {line.label for line in lines} == {"Banking", "Downloads", "Attendance", "Rejected by sales (penalty)"}
    shown = [
        (float(exact), int(whole)) for exact, whole in re.findall(r'data-points title="(-?[\d.]+)">(-?\d+)<', html)
    ]
    assert [whole for _, whole in shown] == [whole_points(line.points) for line in lines]
    assert sum(exact for exact, _ in shown) == pytest.approx(story.fit_score + story.interest_score, abs=0.02)
    total = int(re.search(r'data-total="score"[^>]*>(-?\d+)<', html).group(1))
    assert total == whole_points(story.fit_score + story.interest_score)
    assert f'data-fact="score">{total}<' in html

    # Stage history newest first, with who did it and why.
    rows = re.findall(r'<tr data-transition="\d+">(.*?)</tr>', html, flags=re.S)
    assert len(rows) == 3
    assert "Sales qualified (SQL)" in rows[0] and "Budget found after all" in rows[0] and "Mona" in rows[0]
    assert "Nurture" in rows[1] and "No budget this year" in rows[1] and "Ravi" in rows[1]
    assert "Rule" in rows[2] and "Automatic" in rows[2]

    # Consent: what the lead store knows, per capture and per unsubscribe.
    consent = re.findall(r"<tr data-consent>(.*?)</tr>", html, flags=re.S)
    assert any("Consent granted" in row and "Whitepaper: AI in Banking" in row for row in consent)
    assert any("No consent answer" in row and "Webinar: Open Banking" in row for row in consent)
    assert any("Unsubscribed" in row for row in consent)

    # Every lead, with origin, label, campaign, verdict and a link to the lead.
    for item in story.leads.all():
        assert f'href="{reverse("leads_lead:inspect", args=[item.pk])}"' in html
    assert "q3-ai" in html and "webinar-ob" in html and "Flagged" in html

    # The timeline: every kind with its label and object, newest first.
    ids = timeline_ids(html)
    expected = list(story.interactions.order_by("-occurred_at", "-pk").values_list("pk", flat=True))
    assert ids == expected
    for kind in ALL_TYPES:
        assert TIMELINE_KINDS[kind][1] in html and f"Object of {kind}" in html
        assert f'data-type="{kind}"' in html

    # Header buttons: sales feedback for someone who works leads; no edit without change_person.
    assert reverse("leads_person:sales_feedback", args=[story.pk]) in html
    assert reverse("leads_person:edit", args=[story.pk]) not in html


def test_the_score_explanation_and_stage_history_fields_render_as_before_from_the_admin(client, org, book):
    """The inspect view's score explanation and stage history fields are rendered by the admin (models hold
    data); the HTML is what Person.score_explanation_html() and stage_history_html() used to return."""
    assert not hasattr(Person, "score_explanation_html") and not hasattr(Person, "stage_history_html")
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    person = book["rita1"]
    with freeze_time(now):
        ScoringRule.objects.create(
            name="Banking", kind="fit", attribute="company__industry", operator="in", value="banking", points=30
        )
        ScoringRule.objects.create(
            name="Downloads", kind="interest", interaction_type="content_download", points=10, half_life_days=30
        )
        Interaction.objects.create(
            person=person,
            type="content_download",
            object_label="State of RevOps",
            occurred_at=now - timedelta(days=3, hours=2),
        )
        stage_change(
            person, "mql", reason_type="rule", reason="Grade A1 meets the MQL condition", at=now - timedelta(days=4)
        )
        sales_reject(person, actor=org["ravi"], reason="No budget <this> year")
        person_rescore(person)
        client.force_login(org["mona"])
        fields = {field["label"]: str(field["value"]) for field in client.get(profile_url(person)).context["fields"]}
        empty = {
            field["label"]: str(field["value"]) for field in client.get(profile_url(book["rita2"])).context["fields"]
        }
    assert fields["Score explanation"] == (
        "<ul><li>Fit: Banking <strong>+30.0</strong></li>"
        "<li>Interest: Downloads <strong>+9.3</strong> (from +10, 3 days old)</li>"
        "<li>Interest: Rejected by sales (penalty) <strong>-20.0</strong></li></ul><p>As of 2026-03-10 12:00</p>"
    )
    assert fields["Stage history"] == (
        "<ol><li>2026-03-06 12:00: Marketing qualified (MQL) &rarr; Marketing qualified (MQL) "
        "(Rule: Grade A1 meets the MQL condition)</li>"
        "<li>2026-03-10 12:00: Marketing qualified (MQL) &rarr; Nurture "
        "(Sales feedback: Rejected by sales: No budget &lt;this&gt; year)</li></ol>"
    )
    assert (empty["Score explanation"], empty["Stage history"]) == ("No points yet", "No stage changes yet")


def test_scores_read_in_whole_points_and_the_industry_by_name(client, org, book):
    """As in the lists and the exports: 23 for fit 10 + interest 12.5 (the page said 22.5), and the
    industry's name, not its slug."""
    from django.core.cache import cache

    from tests.factories.snippets import IndustryFactory

    IndustryFactory(name="Banking & Financial Services", slug="banking")
    cache.clear()
    person = book["rita1"]  # at Meridian Bank, with Ravi's ravi1 (70 + 65)
    Person.objects.filter(pk=person.pk).update(fit_score=10, interest_score=12.5)
    client.force_login(org["mona"])
    html = text(client.get(profile_url(person)))
    assert 'data-fact="fit">10<' in html and 'data-fact="interest">13<' in html and 'data-fact="score">23<' in html
    assert 'data-attr="industry">Banking & Financial Services<' in html
    company = text(client.get(company_url(person.company)))
    assert 'data-fact="total_score">158<' in company  # 22.5 + 135
    assert re.search(rf'<tr data-person="{person.pk}">.*?<td class="sp-num">23</td>', company, flags=re.S)
    assert 'data-attr="industry">Banking & Financial Services<' in company


def test_edit_button_only_with_change_permission(client, org, story):
    client.force_login(org["ada"])
    assert reverse("leads_person:edit", args=[story.pk]) in text(client.get(profile_url(story)))


def test_no_sales_feedback_button_without_the_right(client, make_role_user, story):
    viewer = make_role_user(
        "vera", None, extra_permissions=["wagtailadmin.access_admin", "leads.view_person", "leads.view_all_people"]
    )
    client.force_login(viewer)
    response = client.get(profile_url(story))
    assert response.status_code == 200
    assert reverse("leads_person:sales_feedback", args=[story.pk]) not in text(response)


def test_person_without_anything_yet(client, org, book):
    client.force_login(org["rita"])
    html = text(client.get(profile_url(book["rita2"])))
    assert "No points yet." in html and "No stage changes yet." in html and "No leads." in html
    assert "No interactions yet." in html


# --- Masking -----------------------------------------------------------------------------------


def test_rep_without_personal_data_right_sees_masked_contact_details(client, org, story):
    client.force_login(org["rita"])
    response = client.get(profile_url(story))
    assert response.status_code == 200
    html = text(response)
    assert f'data-attr="email">{mask_email(story.email)}<' in html
    assert f'data-attr="phone">{mask_phone(story.phone)}<' in html
    # Nowhere on the page: not in the title, the subtitle, the breadcrumbs or a button's label.
    assert story.email not in html and story.phone not in html
    assert "rita.lead1" not in html.lower()
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    assert "RitaLead1 Example" in title and "@" not in title


def test_masked_profile_of_someone_without_a_name_names_them_by_masked_email(client, org):
    nameless = PersonFactory(email="anon.person@hidden.example", first_name="", last_name="", owner=org["rita"])
    client.force_login(org["rita"])
    html = text(client.get(profile_url(nameless)))
    assert "anon.person" not in html and "a***@hidden.example" in html


# --- Scope -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"), [("rita", 404), ("mona", 404), ("ravi", 404), ("erin", 200), ("mark", 200), ("ada", 200)]
)
def test_who_may_open_erins_person(client, org, book, username, status):
    client.force_login(org[username])
    assert client.get(profile_url(book["erin1"])).status_code == status
    assert client.get(timeline_url(book["erin1"])).status_code == status


def test_manager_sees_her_teams_people(client, org, book):
    client.force_login(org["mona"])
    assert client.get(profile_url(book["ravi1"])).status_code == 200
    assert client.get(profile_url(book["nobody"])).status_code == 404


def test_editor_is_refused(client, org, book):
    client.force_login(org["eddie"])
    for url in (profile_url(book["rita1"]), timeline_url(book["rita1"]), company_url(book["rita1"].company)):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")


def test_anonymous_is_sent_to_login(client, book):
    response = client.get(profile_url(book["rita1"]))
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "9223372036854775808"])
def test_unknown_ids_are_404(client, org, pk):
    client.force_login(org["ada"])
    assert client.get(f"/admin/leads/person/inspect/{pk}/").status_code == 404
    assert client.get(f"/admin/leads/person/timeline/{pk}/").status_code == 404
    assert client.get(f"/admin/leads/company/inspect/{pk}/").status_code == 404


def test_no_profile_view_is_logged_for_a_refusal(client, org, book):
    client.force_login(org["rita"])
    client.get(profile_url(book["erin1"]))
    assert not ModelLogEntry.objects.filter(action=PROFILE_VIEW_ACTION).exists()


# --- The audit trail ---------------------------------------------------------------------------


def test_each_view_is_one_audit_entry_and_fragments_none(client, org, story):
    interactions(story, 40)
    client.force_login(org["rita"])
    client.get(profile_url(story))
    client.get(profile_url(story))
    entries = ModelLogEntry.objects.filter(action=PROFILE_VIEW_ACTION)
    assert entries.count() == 2
    entry = entries.first()
    assert entry.user == org["rita"] and entry.object_id == str(story.pk)
    assert entry.data == {"person": story.pk, "masked": True}
    assert "@" not in entry.label

    page = text(client.get(profile_url(story)))
    cursor = re.search(r'hx-get="[^"]*\?before=([^"#]+)"', page).group(1)
    fragment = client.get(f"{timeline_url(story)}?before={cursor}", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert entries.count() == 3  # the fragment added none

    client.force_login(org["mona"])
    client.get(profile_url(story))
    assert entries.order_by("-timestamp", "-pk").first().data["masked"] is False


# --- The timeline ------------------------------------------------------------------------------


def test_timeline_pages_by_keyset_with_htmx(client, org, book):
    person = book["rita1"]
    interactions(person, 60)
    newest_first = list(person.interactions.order_by("-occurred_at", "-pk").values_list("pk", flat=True))
    client.force_login(org["rita"])

    page = text(client.get(profile_url(person)))
    first = timeline_ids(page)
    assert first == newest_first[:25]
    assert "Newer" not in page

    more = re.search(r'hx-get="([^"]+)"', page).group(1)
    assert more.startswith(timeline_url(person))
    second_html = text(client.get(more, HTTP_HX_REQUEST="true"))
    assert "<html" not in second_html  # a fragment: items and the next control
    second = timeline_ids(second_html)
    third_html = text(client.get(re.search(r'hx-get="([^"]+)"', second_html).group(1), HTTP_HX_REQUEST="true"))
    third = timeline_ids(third_html)
    assert (len(first), len(second), len(third)) == (25, 25, 10)
    assert first + second + third == newest_first  # no overlap, nothing missing, newest first
    assert "hx-get" not in third_html  # the oldest page has no "Show more"


def test_timeline_pages_without_javascript(client, org, book):
    person = book["rita1"]
    interactions(person, 60)
    newest_first = list(person.interactions.order_by("-occurred_at", "-pk").values_list("pk", flat=True))
    client.force_login(org["rita"])

    page = text(client.get(profile_url(person)))
    older = re.search(r'rel="next"\s+href="([^"#]+)#timeline"', page).group(1)
    second = text(client.get(older))
    assert timeline_ids(second) == newest_first[25:50]
    third = text(client.get(re.search(r'rel="next"\s+href="([^"#]+)#timeline"', second).group(1)))
    assert timeline_ids(third) == newest_first[50:]
    assert 'rel="next"' not in third

    newer = re.search(r'rel="prev" href="([^"#]+)#timeline"', third).group(1)
    assert timeline_ids(text(client.get(newer))) == newest_first[25:50]
    newer_again = re.search(r'rel="prev" href="([^"#]+)#timeline"', second).group(1)
    assert timeline_ids(text(client.get(newer_again))) == newest_first[:25]


def test_interactions_at_the_same_instant_are_neither_lost_nor_repeated(client, org, book):
    person = book["rita1"]
    same = NOW - timedelta(days=1)
    # Downloads: page views at one instant would be one visit (tests/sales/test_timeline_visits.py).
    Interaction.objects.bulk_create(
        [Interaction(person=person, type="content_download", occurred_at=same) for _ in range(30)]
    )
    client.force_login(org["rita"])
    page = text(client.get(profile_url(person)))
    rest = text(client.get(re.search(r'hx-get="([^"]+)"', page).group(1)))
    ids = timeline_ids(page) + timeline_ids(rest)
    assert ids == sorted(set(ids), reverse=True) and len(ids) == 30  # each exactly once, in order


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "1.2", "", "%00%ff", "x" * 5000, "1700000000000000.5:forged", "99999999999999999999999.1:AAAA"],
)
def test_tampered_cursor_gives_the_first_page(client, org, book, cursor):
    person = book["rita1"]
    interactions(person, 30)
    client.force_login(org["rita"])
    first = timeline_ids(text(client.get(profile_url(person))))
    for parameter in ("before", "after"):
        assert timeline_ids(text(client.get(f"{profile_url(person)}?{parameter}={cursor}"))) == first
        response = client.get(f"{timeline_url(person)}?{parameter}={cursor}")
        assert response.status_code == 200 and timeline_ids(text(response)) == first


def test_a_cursor_from_someone_elses_timeline_shows_nothing_of_theirs(client, org, book):
    mine, theirs = book["rita1"], book["erin1"]
    interactions(mine, 5)
    foreign = interactions(theirs, 30)
    client.force_login(org["rita"])
    cursor = timeline_cursor(foreign[0])
    ids = timeline_ids(text(client.get(f"{timeline_url(mine)}?before={cursor}")))
    assert ids and not set(ids) & {item.pk for item in foreign}


# --- Queries -----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_profile_queries_do_not_grow_with_the_history(client, org, book, django_assert_max_num_queries):
    small, big = book["rita1"], book["rita2"]
    ScoringRule.objects.create(name="Downloads", kind="interest", interaction_type="content_download", points=5)
    for person, count in ((small, 1), (big, 40)):
        for n in range(count):
            lead(person, label=f"Form {n}", days_ago=n + 1)
            stage_change(person, "mql" if n % 2 else "lead", reason_type="user", actor=org["mona"])
        interactions(person, count * 2, type="content_download")
        interactions(person, count, type="unsubscribe")
        person_rescore(person)
    client.force_login(org["rita"])
    _queries(client, profile_url(small))  # warm caches (content types, settings)
    assert _queries(client, profile_url(big)) == _queries(client, profile_url(small))
    with django_assert_max_num_queries(30):
        client.get(profile_url(big))
    with django_assert_max_num_queries(12):
        client.get(timeline_url(big))


def test_company_queries_do_not_grow_with_its_people(client, org, book, django_assert_max_num_queries):
    small, big = CompanyFactory(name="Small Co"), CompanyFactory(name="Big Co")
    for company, count in ((small, 1), (big, 30)):
        for n in range(count):
            person = PersonFactory(company=company, owner=org["rita"], grade=["A1", "B2", "C3"][n % 3])
            interactions(person, 2)
        CompanyFactory(name=f"{company.name} subsidiary", parent=company, owner=org["rita"])
    client.force_login(org["mona"])
    _queries(client, company_url(small))
    assert _queries(client, company_url(big)) == _queries(client, company_url(small))
    with django_assert_max_num_queries(25):
        client.get(company_url(big))


# --- The company view --------------------------------------------------------------------------


def grade_counts(html) -> dict:
    return {
        grade: int(count)
        for grade, count in re.findall(r'<tr data-grade="([^"]+)">.*?<span data-count>(\d+)</span>', html, flags=re.S)
    }


def listed_people(html) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr data-person="(\d+)">', html)}


def test_company_lists_only_visible_people_with_their_grades(client, org, book):
    meridian = book["rita1"].company  # rita1, ravi1, erin1 work there, all A1
    interactions(book["rita1"], 1, label="Rita's visit")
    interactions(book["erin1"], 1, label="Erin's visit")

    client.force_login(org["rita"])
    html = text(client.get(company_url(meridian)))
    assert listed_people(html) == {book["rita1"].pk}
    assert grade_counts(html) == {"A1": 1}
    assert 'data-fact="best_grade">A1<' in html and 'data-fact="people">1<' in html
    assert 'data-fact="total_score">135<' in html  # 70 + 65
    assert "Rita's visit 0" in html
    assert "Erin's visit" not in html and "ErinLead1" not in html
    assert book["rita1"].email not in html  # names, never unmasked emails

    client.force_login(org["mona"])
    html = text(client.get(company_url(meridian)))
    assert listed_people(html) == {book["rita1"].pk, book["ravi1"].pk}
    assert grade_counts(html) == {"A1": 2}

    client.force_login(org["ada"])
    html = text(client.get(company_url(book["rita2"].company)))  # Atlas: rita2, ravi2, erin2 (B2) and nobody
    assert grade_counts(html) == {"B2": 3, "Ungraded": 1}
    assert 'data-fact="best_grade">B2<' in html and "Erin's visit" not in html


def test_company_grade_chart_orders_grades_and_scales_bars(client, org):
    company = CompanyFactory(name="Chart Co")
    for grade in ["B1", "A2", "B1", "D4", "B1"]:
        PersonFactory(company=company, grade=grade, owner=org["rita"])
    client.force_login(org["rita"])
    html = text(client.get(company_url(company)))
    assert list(grade_counts(html).items()) == [("A2", 1), ("B1", 3), ("D4", 1)]
    assert 'style="width: 100%"' in html and 'style="width: 33%"' in html
    assert 'data-fact="best_grade">A2<' in html


def test_company_without_the_users_people_is_404_unless_owned(client, org, book):
    atlas_like = CompanyFactory(name="Elsewhere Ltd")
    PersonFactory(company=atlas_like, owner=org["erin"])
    client.force_login(org["rita"])
    assert client.get(company_url(atlas_like)).status_code == 404
    owned = CompanyFactory(name="Rita's Account", owner=org["rita"])
    response = client.get(company_url(owned))
    assert response.status_code == 200 and "Nobody you can see works here." in text(response)


def test_company_shows_group_and_visible_subsidiaries(client, org, book):
    group = CompanyFactory(name="Meridian Group", owner=org["erin"])
    meridian = book["rita1"].company
    meridian.parent = group
    meridian.save()
    mine = CompanyFactory(name="Meridian Leasing", parent=meridian, owner=org["rita"])
    CompanyFactory(name="Meridian Secret", parent=meridian, owner=org["erin"])
    client.force_login(org["rita"])
    html = text(client.get(company_url(meridian)))
    assert "Meridian Group" in html and company_url(group) not in html  # named, not linked: not hers
    assert f'<a href="{company_url(mine)}">Meridian Leasing</a>' in html
    assert "Meridian Secret" not in html


def test_company_people_masked_without_personal_data(client, org):
    company = CompanyFactory(name="Nameless Inc")
    PersonFactory(company=company, first_name="", last_name="", email="jane.doe@nameless.example", owner=org["rita"])
    client.force_login(org["rita"])
    html = text(client.get(company_url(company)))
    assert "jane.doe" not in html and "j***@nameless.example" in html
