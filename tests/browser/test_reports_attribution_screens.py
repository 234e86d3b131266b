"""The attribution report in a real browser, on a desktop (1280 wide) and a phone (390 wide): the issue's
story credited by W-shaped, the four bar charts drawn, nothing wider than the phone, no console error or
Content-Security-Policy refusal, and changing the model in the form keeps the period.

Screenshots go to /tmp/report-shots/ (attribution-*.png)."""

import pytest
from django.contrib.auth.models import Group

from sales.roles import MARKETER, roles_ensure
from tests.browser.conftest import CHROMIUM
from tests.browser.test_reports_screens import DESKTOP, PASSWORD, PHONE, SHOTS, fits_the_width, log_in, shoot
from tests.reports.test_attribution import PERIOD, build_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_marketer_reads_attribution_on_a_desktop_and_a_phone(live_server, browser, django_user_model):
    roles_ensure()
    marketer = django_user_model.objects.create_user("mia", "mia@signalpage.test", PASSWORD)
    marketer.groups.add(Group.objects.get(name=MARKETER))
    build_story()
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = (
        f"{live_server.url}/admin/reports/attribution/?period=custom&from={PERIOD.start}&to={PERIOD.end}"
        "&model=w_shaped&conversion=won"
    )
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page, problems = log_in(browser, live_server.url, "mia", viewport)
        page.goto(url)
        assert page.get_by_role("heading", name="Attribution").first.is_visible()
        assert page.locator("figure.rp-chart-bar").count() == 4  # each holds a wide and a narrow drawing
        # W-shaped: the summit (the opportunity creation touch) earned 30% of the won deal: 15,000.
        events = page.locator("#rp-table-events").locator("xpath=ancestor::section[1]")
        assert "Banking Summit" in events.inner_text() and "15,000" in events.inner_text()
        shoot(page, f"attribution-{name}", viewport)
        fits_the_width(page, viewport["width"])
        if name == "desktop":
            page.select_option("#rp-model", "first_touch")
            page.get_by_role("button", name="Show").click()
            page.wait_for_url("**model=first_touch**")
            assert f"from={PERIOD.start}" in page.url
            channels = page.locator("#rp-table-channels").locator("xpath=ancestor::section[1]").inner_text()
            assert "50,000" in channels  # the LinkedIn visit took all of it
        assert not problems, problems
        page.context.close()
