"""The weekly digest (issue 18 item 10): the dashboard's numbers by email every Monday from 07:00 site
time, once per subscriber and week, through the outbox to a real SMTP server on loopback; and the
dashboard's toggle."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection  # noqa: F401  (the PostgreSQL-only test's skipif reads it)
from django.urls import reverse
from django.utils import timezone

from leads.models import Deal
from outbox import kinds
from outbox.models import OutgoingEmail
from reports import digest
from reports.digest import KIND, digest_subscribe, digest_sweep, due_week
from reports.models import DailyVisitor, DigestSubscription, PersonJourney
from reports.rollups.visitors import previous_days_refresh
from sales.roles import EDITOR, MARKETER, SALES_REP, roles_ensure
from tests.factories.leads import PersonFactory, SalesRepFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 30)  # its digest covers Monday 23 - Sunday 29 November


def at(day: int, hour: int = 12, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"  # Monday 07:00 is the marketer's morning, not UTC's
    timezone.activate(BERLIN)
    yield
    timezone.deactivate()


@pytest.fixture
def users(db):
    roles = roles_ensure()

    def user(role, **kwargs):
        made = UserFactory(**kwargs)
        made.groups.add(roles[role])
        return made

    rep = user(SALES_REP, username="rep", email="rep@northwind-test.de", first_name="Rita")
    SalesRepFactory(user=rep, team="Inbound")
    return {
        "marketer": user(MARKETER, username="marketer", email="marketer@northwind-test.de", first_name="Mara"),
        "rep": rep,
        "other_rep": user(SALES_REP, username="other", email="other@northwind-test.de"),
        "editor": user(EDITOR, username="editor", email="editor@northwind-test.de"),
    }


def journey(owner, *, created, channel="Social", **stages):
    person = PersonFactory(owner=owner, phone="+49 30 1234567")
    return PersonJourney.objects.create(person=person, created_at=created, channel=channel, owner=owner, **stages)


@pytest.fixture
def week(users):
    """The week of 23-29 November and the week before: people of the rep's and another rep's, deals, visitors."""
    rep, other = users["rep"], users["other_rep"]
    mine = journey(rep, created=at(23, 9), mql_at=at(24), channel="Paid social")
    journey(rep, created=at(29, 23, 30), channel="Email")  # Sunday night in Berlin: still the week
    journey(rep, created=at(17))  # the week before
    theirs = journey(other, created=at(25), mql_at=at(25), channel="Paid search")
    journey(other, created=at(30, 6, 59))  # Monday morning: next week's
    Deal.objects.create(
        crm_id="opp-1",
        person=mine.person,
        status=Deal.Status.WON,
        amount=Decimal("50000"),
        currency="EUR",
        amount_report=Decimal("50000"),
        opened_at=at(20),
        close_date=date(2026, 11, 27),
        crm_changed_at=at(27),
    )
    for day, visitor in [(date(2026, 11, 23), "v1"), (date(2026, 11, 24), "v1"), (date(2026, 11, 18), "v2")]:
        DailyVisitor.objects.create(day=day, visitor_id=visitor, first_at=at(day.day))
    previous_days_refresh(None)  # as the rollup keeps them
    return {"mine": mine, "theirs": theirs}


def subscribe(*people, last_sent_for=None):
    return [DigestSubscription.objects.create(user=user, last_sent_for=last_sent_for) for user in people]


def sweep(now, capture):
    """A sweep as the workers run it; the outbox delivers what it queued once the sweep commits."""
    with capture(execute=True):
        return digest_sweep(now)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# --- when ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, week",
    [
        (at(30, 6, 59), date(2026, 11, 23)),  # Monday before seven: last Monday's is the one due
        (at(30, 7, 0), MONDAY),
        (at(30, 23, 59), MONDAY),
        (at(2, 12, month=12), MONDAY),  # Wednesday
        (at(6, 23, 59, month=12), MONDAY),  # Sunday night
        (datetime(2026, 11, 30, 6, 0, tzinfo=ZoneInfo("UTC")), MONDAY),  # 07:00 in Berlin
    ],
)
def test_the_week_due_turns_on_monday_at_seven_site_time(now, week):
    assert due_week(now) == week


def test_nothing_goes_out_before_monday_seven_and_everybody_gets_it_once_after(users, week, mail_server, capture):
    subscribe(users["marketer"], users["rep"], last_sent_for=date(2026, 11, 23))

    assert sweep(at(30, 6, 59), capture)["queued"] == 0
    assert mail_server.messages == []
    assert sweep(at(30, 7, 0), capture)["queued"] == 2
    assert sweep(at(30, 7, 1), capture)["queued"] == 0  # the next sweep, a minute later
    assert sweep(at(3, 9, month=12), capture)["queued"] == 0  # later that week

    assert sorted(message.rcpt_tos[0] for message in mail_server.messages) == [
        "marketer@northwind-test.de",
        "rep@northwind-test.de",
    ]
    assert {message.subject for message in mail_server.messages} == {"Your week in numbers: 23–29 Nov 2026"}
    assert set(DigestSubscription.objects.values_list("last_sent_for", flat=True)) == {MONDAY}
    assert OutgoingEmail.objects.filter(kind=KIND, status="sent").count() == 2

    assert sweep(at(7, 7, 0, month=12), capture)["queued"] == 2  # the Monday after: the next week
    assert len(mail_server.messages) == 4


def test_the_digest_holds_the_dashboards_numbers_for_the_week(users, week, mail_server, capture):
    subscribe(users["marketer"])
    sweep(at(30, 7), capture)

    [message] = mail_server.messages
    text = message.text
    assert text.startswith("Hello Mara,")
    assert "the week 23–29 Nov 2026 (Monday to Sunday), compared with the week before (16–22 Nov 2026)" in text
    assert "- Visitors: 1 (±0%; before: 1)" in text  # v1 on two days is one visitor
    assert "- New people: 3 (▲ 200%; before: 1)" in text
    assert "- MQLs: 2 (new; before: 0)" in text
    assert "- Won revenue: EUR 50,000 (new; before: EUR 0)" in text
    assert "- Paid social: 1, 1" in text and "- Paid search: 1, 1" in text and "- Email: 1, 0" in text
    assert "/admin/reports/?from=2026-11-23&to=2026-11-29" in text
    html = message.html
    assert "<strong>EUR 50,000</strong>" in html and "Paid search" in html


def test_a_reps_digest_counts_their_own_people_and_no_traffic(users, week, mail_server, capture):
    subscribe(users["rep"])
    sweep(at(30, 7), capture)

    [message] = mail_server.messages
    assert "Hello Rita," in message.text
    assert "- New people: 2 (▲ 100%; before: 1)" in message.text
    assert "Visitors" not in message.text and "Paid search" not in message.text
    assert "visitors are left out" in message.text


def test_no_address_or_phone_of_anybody_is_in_a_digest(users, week, mail_server, capture):
    subscribe(users["marketer"])
    sweep(at(30, 7), capture)

    [message] = mail_server.messages
    for journey_row in PersonJourney.objects.select_related("person"):
        for secret in (journey_row.person.email, journey_row.person.phone, "1234567"):
            assert secret not in message.text and secret not in message.html


def test_a_sweep_missed_on_monday_sends_the_same_week_later(users, week, mail_server, capture):
    subscribe(users["marketer"], last_sent_for=date(2026, 11, 23))
    sweep(at(1, 15, month=12), capture)  # the workers were down until Tuesday afternoon

    [message] = mail_server.messages
    assert message.subject == "Your week in numbers: 23–29 Nov 2026"


def test_subscribing_after_this_weeks_digest_waits_for_next_monday(users, week, mail_server, capture):
    digest_subscribe(users["marketer"], now=at(2, 10, month=12))  # a Wednesday
    digest_subscribe(users["marketer"], now=at(2, 11, month=12))  # pressed twice: one subscription

    assert sweep(at(2, 10, 1, month=12), capture)["queued"] == 0
    assert sweep(at(7, 7, month=12), capture)["queued"] == 1
    assert DigestSubscription.objects.count() == 1 and len(mail_server.messages) == 1


def test_a_subscription_claimed_by_another_sweep_is_not_sent_twice(users, week, mail_server, capture):
    [subscription] = subscribe(users["marketer"])
    stale = DigestSubscription.objects.get(pk=subscription.pk)  # read by a second sweep before the first claimed
    sweep(at(30, 7), capture)

    with capture(execute=True):
        assert digest._digest_send(stale, MONDAY, at(30, 7)) == "taken"
    assert len(mail_server.messages) == 1


def test_a_week_already_in_the_outbox_is_not_written_again(users, week, mail_server, capture):
    [subscription] = subscribe(users["marketer"])
    sweep(at(30, 7), capture)
    DigestSubscription.objects.filter(pk=subscription.pk).update(last_sent_for=None)  # reset by hand

    assert sweep(at(30, 8), capture) == {"queued": 0, "skipped": 0, "failed": 0}
    assert len(mail_server.messages) == 1 and OutgoingEmail.objects.filter(kind=KIND).count() == 1


@pytest.mark.parametrize(
    "change, why",
    [
        ({"email": ""}, "no address"),
        ({"is_active": False}, "inactive"),
    ],
)
def test_a_user_who_cannot_get_it_is_skipped_for_the_week(users, week, mail_server, capture, change, why):
    subscribe(users["marketer"], users["rep"])
    type(users["rep"]).objects.filter(pk=users["rep"].pk).update(**change)

    assert sweep(at(30, 7), capture) == {"queued": 1, "skipped": 1, "failed": 0}
    assert [message.rcpt_tos for message in mail_server.messages] == [["marketer@northwind-test.de"]]
    assert sweep(at(30, 7, 1), capture)["skipped"] == 0  # not looked at again every minute


def test_a_user_who_lost_the_reports_gets_none(users, week, mail_server, capture):
    subscribe(users["editor"])
    assert sweep(at(30, 7), capture)["skipped"] == 1
    assert mail_server.messages == []


def test_one_failing_digest_does_not_stop_the_others_and_is_tried_again(users, week, mail_server, capture, monkeypatch):
    subscribe(users["marketer"], users["rep"])
    real = digest.dashboard_figures

    def broken_for_the_rep(user, period):
        if user.pk == users["rep"].pk:
            raise RuntimeError("the rep's numbers failed")
        return real(user, period)

    monkeypatch.setattr(digest, "dashboard_figures", broken_for_the_rep)
    assert sweep(at(30, 7), capture) == {"queued": 1, "skipped": 0, "failed": 1}
    monkeypatch.setattr(digest, "dashboard_figures", real)
    assert sweep(at(30, 7, 1), capture) == {"queued": 1, "skipped": 0, "failed": 0}
    assert sorted(message.rcpt_tos[0] for message in mail_server.messages) == [
        "marketer@northwind-test.de",
        "rep@northwind-test.de",
    ]


def test_a_refusing_mail_server_leaves_it_to_the_outbox_to_retry(users, week, mail_server, capture):
    subscribe(users["marketer"])
    mail_server.refuse()
    sweep(at(30, 7), capture)

    email = OutgoingEmail.objects.get(kind=KIND)
    assert email.status == "pending" and "451" in email.last_error
    assert DigestSubscription.objects.get().last_sent_for == MONDAY  # the week is the outbox's now


def test_the_kind_has_a_label_in_the_outbox():
    digest.register_kind()
    assert kinds.kind_label(KIND) == "Reports: weekly digest"


# --- the toggle on the dashboard -------------------------------------------------------------------

TOGGLE = "/admin/reports/digest/"


def test_the_toggle_url_is_named():
    assert reverse("reports:digest_toggle") == TOGGLE


def test_a_marketer_subscribes_and_unsubscribes_from_the_dashboard(client, users):
    client.force_login(users["marketer"])

    response = client.post(TOGGLE, {"subscribe": "on"})
    assert response.status_code == 302 and response.url == "/admin/reports/"
    assert DigestSubscription.objects.filter(user=users["marketer"]).exists()
    page = client.get("/admin/reports/").content.decode()
    assert "Stop the weekly email" in page and "marketer@northwind-test.de" in page

    client.post(TOGGLE, {"subscribe": "on"})  # again: still one
    assert DigestSubscription.objects.count() == 1

    client.post(TOGGLE, {"subscribe": "off"})
    assert not DigestSubscription.objects.exists()
    assert "Email me every Monday" in client.get("/admin/reports/").content.decode()


@pytest.mark.parametrize("value", ["", "yes", "ON", "on\x00", "x" * 5000])
def test_a_wrong_value_is_400_naming_the_field(client, users, value):
    client.force_login(users["marketer"])
    response = client.post(TOGGLE, {"subscribe": value})

    assert response.status_code == 400
    assert "<strong>subscribe</strong>" in response.content.decode()
    assert not DigestSubscription.objects.exists()


def test_the_toggle_takes_only_posts(client, users):
    client.force_login(users["marketer"])
    assert client.get(TOGGLE, {"subscribe": "on"}).status_code == 405
    assert not DigestSubscription.objects.exists()


def test_who_may_not_see_the_reports_may_not_subscribe(client, users):
    client.force_login(users["editor"])
    refused = client.post(TOGGLE, {"subscribe": "on"})  # Wagtail's refusal: back home with "Sorry, ..."
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    client.logout()
    response = client.post(TOGGLE, {"subscribe": "on"})
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert not DigestSubscription.objects.exists()


def test_without_an_address_there_is_nothing_to_send_to(client, users):
    users["marketer"].email = ""
    users["marketer"].save()
    client.force_login(users["marketer"])

    response = client.post(TOGGLE, {"subscribe": "on"}, follow=True)
    assert "has no email address" in response.content.decode()
    assert not DigestSubscription.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs real concurrent transactions (PostgreSQL)")
def test_sweeps_running_at_once_send_each_subscriber_one_digest(mail_server):
    from tests.concurrency import together

    roles = roles_ensure()
    for number in range(5):
        user = UserFactory(username=f"marketer{number}", email=f"marketer{number}@northwind-test.de")
        user.groups.add(roles[MARKETER])
        DigestSubscription.objects.create(user=user)

    results, errors = together([lambda: digest_sweep(at(30, 7))] * 4)

    assert errors == []
    assert sum(result["queued"] for result in results.values()) == 5
    assert OutgoingEmail.objects.filter(kind=KIND).count() == 5
    assert sorted(message.rcpt_tos[0] for message in mail_server.messages) == [
        f"marketer{number}@northwind-test.de" for number in range(5)
    ]
