"""Page views on the person page, grouped by visit (sales.timeline_visits), through the admin's HTTP
surface: one entry per visit with its entry page, source, pages, duration and time; other
interactions in time order among the visits; keyset paging that never cuts a visit in two."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import Interaction
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
LAPTOP, PHONE = "v_" + "l" * 24, "v_" + "p" * 24


def view(person, at, *, visitor=LAPTOP, visit=1, slug="page", title=None, **properties):
    """One page view as leads.behaviour writes it (visit=None: without a visit number, as the demo's)."""
    props = {"path": f"/{slug}/", "page_id": 7, **properties}
    if visit is not None:
        props["visit"] = visit
    return Interaction.objects.create(
        person=person,
        type="page_view",
        occurred_at=at,
        visitor_id=visitor,
        object_type="page",
        object_id=slug,
        object_label=title if title is not None else slug.capitalize(),
        properties=props,
    )


def other(person, at, type="form_submit", label="Gate form"):
    return Interaction.objects.create(person=person, type=type, occurred_at=at, object_label=label)


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def entries(page) -> list[dict]:
    """The timeline as a reader sees it, newest first."""
    found = []
    for item in page.select("li.sp-timeline__item"):
        entry = {
            "id": int(item["data-interaction"]),
            "type": item["data-type"],
            "visit": "data-visit-pages" in item.attrs,
        }
        if entry["visit"]:
            entry.update(
                pages=int(item["data-visit-pages"]),
                entry_page=item.select_one("[data-visit-entry]").get_text(strip=True),
                count=item.select_one("[data-visit-count]").get_text(strip=True),
                duration=item.select_one("[data-visit-duration]").get_text(strip=True),
                source=item.select_one("[data-visit-source]").get_text(strip=True),
                views=[int(li["data-page-view"]) for li in item.select("[data-page-view]")],
                when=item.find("time", recursive=False)["datetime"],
            )
        else:
            entry["label"] = item.select_one(".sp-timeline__object").get_text(strip=True)
        found.append(entry)
    return found


@pytest.fixture
def viewer(client, org):
    client.force_login(org["mark"])  # a marketer: every person is in scope
    return client


def profile(client, person, **query):
    return soup(client.get(reverse("leads_person:inspect", args=[person.pk]), query))


def fragment(client, person, **query):
    return soup(client.get(reverse("leads_person:timeline", args=[person.pk]), query, HTTP_HX_REQUEST="true"))


# --- Grouping ----------------------------------------------------------------------------------


def test_a_story_of_two_visits_reads_as_two_entries_with_the_form_fill_in_its_place(viewer):
    person = PersonFactory()
    start = NOW - timedelta(days=2)
    first = [
        view(person, start, slug="home", title="Home", referrer="news.example"),
        view(person, start + timedelta(minutes=4), slug="case-studies", title="Case studies"),
        view(person, start + timedelta(minutes=12), slug="revops-benchmark", title="RevOps benchmark"),
    ]
    form = other(person, start + timedelta(minutes=13))  # filled in on the third page, then they left
    later = NOW - timedelta(hours=1)
    second = [
        view(person, later, visit=2, slug="pricing", title="Pricing", utm_source="linkedin", utm_medium="cpc"),
        view(person, later + timedelta(seconds=40), visit=2, slug="pricing", title="Pricing"),
    ]

    shown = entries(profile(viewer, person))

    assert [entry["type"] for entry in shown] == ["page_view", "form_submit", "page_view"]
    newest, filled, oldest = shown
    assert newest == {
        "id": second[-1].pk,
        "type": "page_view",
        "visit": True,
        "pages": 2,
        "entry_page": "Pricing",
        "count": "2 pages",
        "duration": "under a minute",
        "source": "from linkedin / cpc",
        "views": [view.pk for view in second],
        "when": timezone.localtime(later).isoformat(),
    }
    assert filled["id"] == form.pk and filled["label"] == "Gate form"
    assert oldest["views"] == [view.pk for view in first]  # oldest first inside the visit
    assert (oldest["entry_page"], oldest["count"], oldest["duration"], oldest["source"]) == (
        "Home",
        "3 pages",
        "12 minutes",
        "from news.example",
    )
    assert oldest["when"] == timezone.localtime(start).isoformat()  # when the visit began


def test_a_single_page_visit_has_no_list_to_unfold(viewer):
    person = PersonFactory()
    only = view(person, NOW - timedelta(hours=3), slug="pricing", title="Pricing")
    page = profile(viewer, person)
    (entry,) = entries(page)
    assert (entry["id"], entry["count"], entry["duration"], entry["source"]) == (
        only.pk,
        "1 page",
        "under a minute",
        "direct",
    )
    assert page.select("li.sp-timeline__visit details") == []


@pytest.mark.parametrize(
    ("properties", "source"),
    [
        (
            {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "q4-banking"},
            "from newsletter / email / q4-banking",
        ),
        ({"utm_campaign": "q4-banking", "referrer": "google.com"}, "from q4-banking"),  # the campaign wins
        ({"referrer": "linkedin.com"}, "from linkedin.com"),
        ({}, "direct"),
        ({"utm_source": "   ", "referrer": ""}, "direct"),
        ({"utm_source": 5, "referrer": ["x"]}, "direct"),  # not text: not a source
    ],
)
def test_a_visits_source_is_its_first_pages_campaign_else_referrer_else_direct(viewer, properties, source):
    person = PersonFactory()
    view(person, NOW - timedelta(minutes=10), **properties)
    view(person, NOW - timedelta(minutes=9), utm_source="later-page-ignored")
    (entry,) = entries(profile(viewer, person))
    assert entry["source"] == source


@pytest.mark.parametrize(
    ("minutes", "duration"),
    [
        ([0], "under a minute"),
        ([0, 0.9], "under a minute"),
        ([0, 1], "1 minute"),
        ([0, 25, 50, 65], "1 hour 5 minutes"),
        ([0, 29, 58, 87, 116, 120], "2 hours"),
    ],
)
def test_a_visit_lasts_from_its_first_to_its_last_page(viewer, minutes, duration):
    person = PersonFactory()
    start = NOW - timedelta(days=1)
    for offset in minutes:
        view(person, start + timedelta(minutes=offset))
    (entry,) = entries(profile(viewer, person))
    assert (entry["pages"], entry["duration"]) == (len(minutes), duration)


def test_a_visit_of_a_whole_day_is_read_whole(viewer, django_assert_max_num_queries):
    """Longer than the first read reaches back (sales.timeline_visits.LOOK_BACK): read further, in a
    few more queries, never cut."""
    person = PersonFactory()
    start = NOW - timedelta(days=2)
    views = [view(person, start + timedelta(minutes=25 * n), slug=f"p{n}") for n in range(49)]  # 20 hours
    other(person, start - timedelta(minutes=31))  # just before it: not part of it
    with django_assert_max_num_queries(12):
        page = fragment(viewer, person)
    visit, before = entries(page)
    assert (visit["pages"], visit["duration"], visit["entry_page"]) == (49, "20 hours", "P0")
    assert visit["views"] == [item.pk for item in views]  # all 49 listed: under PAGES_LISTED (50)
    assert before["type"] == "form_submit"


def test_a_visit_of_more_pages_than_are_listed_says_how_many_more(viewer):
    person = PersonFactory()
    start = NOW - timedelta(days=1)
    Interaction.objects.bulk_create(
        [
            Interaction(
                person=person,
                type="page_view",
                occurred_at=start + timedelta(seconds=10 * n),
                visitor_id=LAPTOP,
                object_label=f"Page {n}",
                properties={"visit": 1, "path": f"/p{n}/"},
            )
            for n in range(120)
        ]
    )
    page = profile(viewer, person)
    (entry,) = entries(page)
    assert (entry["pages"], entry["count"], len(entry["views"])) == (120, "120 pages", 50)
    assert "and 70 more" in page.select_one("li.sp-timeline__visit details").get_text()


def test_views_without_a_visit_number_are_grouped_by_a_thirty_minute_gap(viewer):
    """The demo's seeded views (no visitor id, no visit number) and views numbered 0."""
    person = PersonFactory()
    start = NOW - timedelta(days=3)
    chain = [start + timedelta(minutes=m) for m in (0, 20, 50, 80)]  # each within 30 minutes of the last
    for n, at in enumerate(chain):
        view(person, at, visitor="", visit=None if n % 2 else 0)
    exactly = start + timedelta(minutes=110)  # exactly the gap after the last: still the same visit
    view(person, exactly, visitor="", visit=None)
    alone = view(person, exactly + timedelta(minutes=30, seconds=1), visitor="", visit=None)  # just past it

    shown = entries(profile(viewer, person))
    assert [(entry["pages"], entry["duration"]) for entry in shown] == [(1, "under a minute"), (5, "1 hour 50 minutes")]
    assert shown[0]["id"] == alone.pk


def test_the_gap_is_personalisations_own_setting(viewer, settings):
    settings.PERSONALIZATION_VISIT_GAP_MINUTES = 10
    person = PersonFactory()
    for minutes in (0, 9, 20):
        view(person, NOW - timedelta(hours=2) + timedelta(minutes=minutes), visit=None)
    assert [entry["pages"] for entry in entries(profile(viewer, person))] == [1, 2]


def test_a_visit_number_counted_again_days_later_is_another_visit(viewer):
    """A visitor whose stored state was lost counts from 1 again: the gap tells the two apart."""
    person = PersonFactory()
    view(person, NOW - timedelta(days=5), visit=1)
    view(person, NOW - timedelta(days=5, minutes=-3), visit=1)
    view(person, NOW - timedelta(hours=1), visit=1)
    assert [entry["pages"] for entry in entries(profile(viewer, person))] == [1, 2]


def test_two_browsers_at_the_same_time_are_two_visits(viewer):
    """The laptop and the phone in the same half hour, same visit number: never one visit."""
    person = PersonFactory()
    start = NOW - timedelta(hours=4)
    laptop = [view(person, start + timedelta(minutes=m), visitor=LAPTOP, visit=3, slug="docs") for m in (0, 6, 12)]
    phone = [view(person, start + timedelta(minutes=m), visitor=PHONE, visit=3, slug="pricing") for m in (3, 9)]
    shown = entries(profile(viewer, person))
    assert [(entry["entry_page"], entry["views"]) for entry in shown] == [
        ("Docs", [item.pk for item in laptop]),
        ("Pricing", [item.pk for item in phone]),
    ]


def test_another_persons_views_on_the_same_browser_stay_theirs(viewer):
    """A browser identified as two people (docs/lead-store.md): each sees only their own pages."""
    mine, theirs = PersonFactory(), PersonFactory()
    at = NOW - timedelta(hours=2)
    kept = view(mine, at)
    view(theirs, at + timedelta(minutes=1))
    view(theirs, at + timedelta(minutes=2))
    (entry,) = entries(profile(viewer, mine))
    assert entry["views"] == [] and entry["id"] == kept.pk and entry["pages"] == 1


def test_hostile_and_malformed_views_are_shown_escaped_and_counted(viewer):
    person = PersonFactory()
    start = NOW - timedelta(hours=6)
    odd = [
        {"visit": "abc"},
        {"visit": 2.5},
        {"visit": None},
        {"visit": 10**30},
        {"visit": -1, "path": 5},
    ]
    for n, properties in enumerate(odd):
        Interaction.objects.create(
            person=person,
            type="page_view",
            occurred_at=start + timedelta(minutes=n),
            visitor_id=LAPTOP,
            object_label="<script>alert(1)</script>",
            properties=properties,
        )
    for n, properties in enumerate([["not", "a", "dict"], "text", 42]):
        Interaction.objects.create(
            person=person, type="page_view", occurred_at=start + timedelta(hours=2, minutes=n), properties=properties
        )
    response = viewer.get(reverse("leads_person:inspect", args=[person.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    shown = entries(BeautifulSoup(html, "html.parser"))
    assert sum(entry["pages"] for entry in shown) == 8  # every view counted once, whatever its shape
    assert LAPTOP not in html  # the visitor id is an identifier, never shown


def test_a_title_less_view_is_named_by_its_path(viewer):
    person = PersonFactory()
    view(person, NOW - timedelta(minutes=5), slug="pricing", title="")
    view(person, NOW - timedelta(minutes=4), slug="docs", title="Docs")
    (entry,) = entries(profile(viewer, person))
    assert entry["entry_page"] == "/pricing/"


# --- Paging ------------------------------------------------------------------------------------


@pytest.fixture
def long_story():
    """40 visits of three pages, a day apart, with a form filled in during every fifth one."""
    person = PersonFactory()
    views, others = [], []
    for n in range(40):
        start = NOW - timedelta(days=n + 1)
        visit = [view(person, start + timedelta(minutes=m), visit=40 - n, slug=f"page-{n}-{m}") for m in (0, 5, 10)]
        views.append(visit)
        if n % 5 == 0:
            others.append(other(person, start + timedelta(minutes=7)))  # between the visit's 2nd and 3rd page
    return person, views, others


def _walk(client, person, *, htmx: bool):
    """Every page of the timeline, following "Show more (older)" as htmx or as a plain link."""
    page = profile(client, person)
    pages = [entries(page)]
    while more := page.select_one('a[rel="next"]'):
        if htmx:
            page = BeautifulSoup(client.get(more["hx-get"], HTTP_HX_REQUEST="true").content.decode(), "html.parser")
        else:
            page = soup(client.get(more["href"].split("#")[0]))
        pages.append(entries(page))
    return pages


@pytest.mark.parametrize("htmx", [True, False])
def test_paging_counts_a_visit_as_one_entry_and_never_splits_it(viewer, long_story, htmx):
    person, views, others = long_story
    pages = _walk(viewer, person, htmx=htmx)

    assert [len(page) for page in pages] == [25, 23]  # 40 visits + 8 form fills = 48 entries
    shown = [entry for page in pages for entry in page]
    visits = [entry for entry in shown if entry["visit"]]
    # Each visit once, whole, newest first; the form filled during a visit just below it.
    assert [entry["views"] for entry in visits] == [[item.pk for item in visit] for visit in views]
    listed = [pk for entry in visits for pk in entry["views"]]
    assert len(listed) == len(set(listed)) == 120
    forms = [entry["id"] for entry in shown if not entry["visit"]]
    assert forms == [item.pk for item in others]
    order = [entry["id"] for entry in shown]
    for visit, form in zip(views[::5], others, strict=True):
        assert order.index(form.pk) == order.index(visit[-1].pk) + 1


def test_a_visit_at_the_foot_of_a_page_is_whole_and_the_next_page_holds_what_happened_during_it(viewer, long_story):
    """The 25th entry is a visit whose first pages are older than the form fill below it: the visit is
    listed whole on the first page, the form fill opens the second, and none of the visit's pages
    come back there."""
    person, views, others = long_story
    first, second = _walk(viewer, person, htmx=True)
    assert first[-1]["visit"] and first[-1]["id"] == views[20][-1].pk and first[-1]["pages"] == 3
    assert second[0] == {"id": others[4].pk, "type": "form_submit", "visit": False, "label": "Gate form"}
    assert not {pk for entry in second if entry["visit"] for pk in entry["views"]} & {v.pk for v in views[20]}


def test_newer_leads_back_to_the_same_entries(viewer, long_story):
    person, views, others = long_story
    page = profile(viewer, person)
    first = entries(page)
    second_page = soup(viewer.get(page.select_one('a[rel="next"]')["href"].split("#")[0]))
    newer = second_page.select_one('a[rel="prev"]')["href"].split("#")[0]
    assert entries(soup(viewer.get(newer))) == first


def test_a_visit_still_going_on_shows_its_pages_so_far_then_grows(viewer):
    person = PersonFactory()
    at = NOW - timedelta(minutes=20)
    view(person, at)
    assert [entry["pages"] for entry in entries(profile(viewer, person))] == [1]
    view(person, at + timedelta(minutes=15))
    assert [entry["pages"] for entry in entries(profile(viewer, person))] == [2]


# --- Queries -----------------------------------------------------------------------------------


def _count(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **extra).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_visits_or_pages(viewer, django_assert_max_num_queries):
    small, big = PersonFactory(), PersonFactory()
    view(small, NOW - timedelta(hours=1))
    other(small, NOW - timedelta(hours=2))
    rows = []
    for n in range(60):  # 60 visits of 20 pages, and downloads between them
        start = NOW - timedelta(days=n + 1)
        rows += [
            Interaction(
                person=big,
                type="page_view",
                occurred_at=start + timedelta(minutes=m),
                visitor_id=LAPTOP if n % 2 else PHONE,
                object_label=f"Page {m}",
                properties={"visit": n, "path": f"/p{m}/"},
            )
            for m in range(20)
        ]
        rows.append(Interaction(person=big, type="content_download", occurred_at=start + timedelta(hours=2)))
    Interaction.objects.bulk_create(rows)
    fragment_url = reverse("leads_person:timeline", args=[big.pk])
    _count(viewer, reverse("leads_person:timeline", args=[small.pk]))  # warm caches
    assert _count(viewer, fragment_url) == _count(viewer, reverse("leads_person:timeline", args=[small.pk]))
    with django_assert_max_num_queries(12):
        viewer.get(fragment_url, HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(30):
        viewer.get(reverse("leads_person:inspect", args=[big.pk]))
    shown = entries(fragment(viewer, big))
    assert len(shown) == 25 and sum(entry["pages"] for entry in shown if entry["visit"]) == 12 * 20
