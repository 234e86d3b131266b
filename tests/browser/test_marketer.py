"""A marketer walks their main screens in a real browser: the segment editor (edit and add), the variant
statistics, a person's page and a company's page. What issue 15 fixed is checked on each:

- the segment editor sends nothing while nobody types (it used to post the audience count about three
  times a second, set off by its own re-render), and exactly one request after a change;
- the variant statistics page has a title;
- timeline icons are icon-sized and beside their labels, on a desktop and on a phone.

Screenshots go to /tmp/marketer-shots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from leads.models import Interaction
from personalization import segments
from personalization.models import VariantStat
from sales.roles import MARKETER, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/marketer-shots")
PASSWORD = "correct-horse-battery"
TIMEOUT_MS = 8000
IDLE_MS = 2500  # long enough for the old loop to post 5-8 times, short enough to keep the suite quick
AUDIENCE = "/admin/personalisation/audience/"
DESKTOP, PHONE = {"width": 1400, "height": 1000}, {"width": 390, "height": 844}
ICON_MAX_PX = 24


@pytest.fixture
def world(django_user_model, home_page):
    cache.clear()
    segments.segments_changed()
    roles_ensure()
    marketer = django_user_model.objects.create_user("mia", "mia@signalpage.test", PASSWORD, first_name="Mia")
    marketer.groups.add(Group.objects.get(name=MARKETER))
    bank, shop = CompanyFactory(name="Meridian Bank", industry="banking"), CompanyFactory(industry="retail")
    people = [
        PersonFactory(
            first_name=f"Banker{n}", last_name="Example", email=f"banker{n}@meridian.example", company=bank, grade=grade
        )
        for n, grade in enumerate(["A1", "A2", "B1", "C3"])
    ]
    PersonFactory(email="shopper@shop.example", company=shop, grade="A1")
    now = timezone.now()
    for hours, (kind, label) in enumerate(
        [
            ("page_view", "Pricing"),
            ("content_download", "State of RevOps 2026"),
            ("form_submit", "Contact sales"),
            ("event_registered", "Revenue Summit"),
            ("email_open", "November newsletter"),
        ]
    ):
        Interaction.objects.create(
            person=people[0], type=kind, object_label=label, occurred_at=now - timedelta(hours=hours + 1)
        )
    segment = SegmentFactory(name="Banking", rules=[("industry", "is", "banking")])
    VariantStat.objects.create(
        day=timezone.localdate(),
        page_id=home_page.pk,  # (a live-server test before this one may have flushed every page)
        block="Home hero",
        segment_id=segment.pk,
        impressions=120,
        clicks=9,
        conversions=2,
    )
    return {"marketer": marketer, "person": people[0], "bank": bank, "segment": segment}


class AudienceRequests:
    """Every request the page sends to the audience count."""

    def __init__(self, page):
        self.urls = []
        page.on("request", lambda request: self.urls.append(request.url) if AUDIENCE in request.url else None)

    def __len__(self):
        return len(self.urls)


def log_in(page, base_url):
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/admin/")


def count_shown(page) -> str:
    return page.locator("[data-pz-audience-count]").inner_text()


def check_segment_editor(page, base_url, segment):
    requests = AudienceRequests(page)
    page.goto(f"{base_url}/admin/snippets/personalization/segment/edit/{segment.pk}/")
    assert count_shown(page) == "4"  # rendered with the page: no request needed to show it
    page.wait_for_timeout(IDLE_MS)  # nobody types
    assert len(requests) == 0, f"the idle editor posted {len(requests)} audience counts"

    # A choice counts at once, once, and shows that it is counting until the answer is in.
    held = []
    page.route(f"**{AUDIENCE}", lambda route: held.append(route))
    page.select_option("#id_rules-0-operator", "contains")
    page.locator("[data-pz-audience-panel][aria-busy=true]", has_text="Counting").wait_for()
    page.locator("[data-pz-audience-panel]").screenshot(path=str(SHOTS / "segment-edit-counting.png"))
    assert len(held) == 1
    held[0].continue_()
    page.unroute(f"**{AUDIENCE}")
    page.locator("[data-pz-audience-panel]:not([aria-busy=true]) [data-pz-audience-count]", has_text="4").wait_for()
    # Typing: one request once the marketer pauses, none for leaving the field afterwards.
    with page.expect_request(f"**{AUDIENCE}"):
        page.locator("#id_rules-0-value").fill("bank, retail")
    page.locator("[data-pz-audience-count]", has_text="5").wait_for()
    page.locator("#id_name").click()  # the value field loses focus: a change event, nothing new to count
    page.wait_for_timeout(1000)
    assert len(requests) == 2, requests.urls
    page.screenshot(path=str(SHOTS / "segment-edit.png"))
    page.locator("[data-pz-audience-panel]").screenshot(path=str(SHOTS / "segment-edit-audience.png"))


def check_segment_add_page(page, base_url):
    requests = AudienceRequests(page)
    page.goto(f"{base_url}/admin/snippets/personalization/segment/add/")
    assert "Add a rule" in page.locator("[data-pz-audience-panel]").inner_text()
    page.wait_for_timeout(IDLE_MS)
    assert len(requests) == 0, f"the idle editor posted {len(requests)} audience counts"
    page.locator("#id_name").fill("Banking A-grades")  # not a rule: nothing to count
    page.select_option("#id_rules-0-fact", "grade")
    page.select_option("#id_rules-0-operator", "is")
    with page.expect_request(f"**{AUDIENCE}"):
        page.locator("#id_rules-0-value").fill("A1")
    page.locator("[data-pz-audience-count]", has_text="2").wait_for()
    page.wait_for_timeout(1000)
    # The fact and operator changes count too (the rule is not complete until the value: errors shown).
    assert len(requests) == 3, requests.urls
    page.locator("[data-pz-audience-panel]").screenshot(path=str(SHOTS / "segment-add-audience.png"))


def check_statistics(page, base_url):
    page.goto(f"{base_url}/admin/personalisation/statistics/")
    page.wait_for_url("**/admin/reports/content/**")  # the variant statistics moved into content performance
    assert page.title().startswith("Content performance - ")
    assert page.get_by_role("heading", level=1).inner_text().strip().startswith("Content performance")
    assert "Home hero" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "variant-statistics.png"))


def check_timeline_icons(page, items, labels_selector):
    """Every icon at most ICON_MAX_PX tall, on the line of its label and not over it."""
    assert items.count() > 0
    for index in range(items.count()):
        item = items.nth(index)
        icon = item.locator("svg.icon").bounding_box()
        label = item.locator(labels_selector).bounding_box()
        assert icon["height"] <= ICON_MAX_PX and icon["width"] <= ICON_MAX_PX, icon
        overlaps = (
            icon["x"] < label["x"] + label["width"]
            and label["x"] < icon["x"] + icon["width"]
            and icon["y"] < label["y"] + label["height"]
            and label["y"] < icon["y"] + icon["height"]
        )
        assert not overlaps, (icon, label)
        icon_middle, label_middle = icon["y"] + icon["height"] / 2, label["y"] + label["height"] / 2
        assert abs(icon_middle - label_middle) <= label["height"], (icon, label)


def check_person_and_company(page, base_url, person, company, size):
    page.set_viewport_size(size)
    page.goto(f"{base_url}/admin/leads/person/inspect/{person.pk}/")
    timeline = page.locator("#timeline .sp-timeline__item")
    assert timeline.count() == 5
    check_timeline_icons(page, timeline, ".sp-timeline__label")
    page.locator("#timeline").screenshot(path=str(SHOTS / f"person-timeline-{size['width']}.png"))
    page.goto(f"{base_url}/admin/leads/company/inspect/{company.pk}/")
    activity = page.locator("[aria-labelledby=sp-activity] .sp-timeline__item")
    check_timeline_icons(page, activity, ".sp-timeline__label")
    page.locator("[aria-labelledby=sp-activity]").screenshot(path=str(SHOTS / f"company-activity-{size['width']}.png"))


def test_a_marketer_walks_the_screens_issue_15_fixed(live_server, browser, world):
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server.url)

    check_segment_editor(page, live_server.url, world["segment"])
    check_segment_add_page(page, live_server.url)
    check_statistics(page, live_server.url)
    for size in (DESKTOP, PHONE):
        check_person_and_company(page, live_server.url, world["person"], world["bank"], size)
    context.close()
    assert errors == []
