"""The events report (issue 18 item 7): per event registrations by status, attendance rate, no-shows,
walk-ins, new people, the pipeline its attendees opened afterwards, and registrations over time."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from events.models import Registration
from leads.models import Deal
from reports.models import PersonJourney
from sales.roles import EDITOR, MARKETER, SALES_REP, roles_ensure
from tests.factories import EventFactory, RegistrationFactory
from tests.factories.leads import LeadFactory, PersonFactory, UserFactory
from tests.reports.funnel_data import list_count

URL = "/admin/reports/events/"
S = Registration.Status


def csv_table(client, query):
    response = client.get(URL, {**query, "format": "csv"})
    assert response.status_code == 200, response.content[:500]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def login(client, role):
    roles_ensure()
    user = UserFactory()
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def register(event, status, *, source=Registration.Source.WEB, person=None, at=None):
    person = person or PersonFactory()
    lead = LeadFactory(person=person, origin_type="event", origin_id=str(event.pk), received_at=at or timezone.now())
    return RegistrationFactory(
        event=event, status=status, source=source, lead=lead, registered_at=at or event.starts_at - timedelta(days=3)
    )


def deal(person, *, opened_at, status=Deal.Status.OPEN, amount="1000"):
    return Deal.objects.create(
        crm_id=f"opp-{Deal.objects.count() + 1}",
        person=person,
        status=status,
        amount=Decimal(amount),
        currency="EUR",
        amount_report=Decimal(amount),
        opened_at=opened_at,
        crm_changed_at=opened_at,
    )


@pytest.fixture
def meetup(db):
    """Yesterday's meetup: 2 still registered (approved), 3 attended (one a walk-in), 1 no-show, 1
    waitlisted, 1 awaiting approval, 1 cancelled, 1 rejected. Two attendees opened deals afterwards
    (one won), one had a deal before; a lost deal counts nowhere. Two people were new to us (one of
    them a test person, never counted)."""
    event = EventFactory(title="Revenue meetup Berlin", starts_at=timezone.now() - timedelta(days=1))
    for status in (S.APPROVED, S.APPROVED, S.NO_SHOW, S.WAITLISTED, S.PENDING, S.CANCELLED, S.REJECTED):
        register(event, status)
    ann, bob, cleo = PersonFactory(), PersonFactory(), PersonFactory()
    register(event, S.ATTENDED, person=ann)
    register(event, S.ATTENDED, person=bob)
    register(event, S.ATTENDED, person=cleo, source=Registration.Source.WALK_IN, at=event.starts_at)
    after = event.starts_at + timedelta(hours=5)
    deal(ann, opened_at=after, status=Deal.Status.WON, amount="50000")
    deal(bob, opened_at=after, amount="8000")
    deal(bob, opened_at=event.starts_at - timedelta(days=30), amount="999")  # before: not the event's
    deal(cleo, opened_at=after, status=Deal.Status.LOST, amount="7000")
    tester = PersonFactory()
    for person, excluded in ((ann, False), (tester, True)):
        PersonJourney.objects.create(
            person=person,
            created_at=person.created_at,
            first_origin_type="event",
            first_origin_id=str(event.pk),
            is_excluded=excluded,
        )
    EventFactory(title="Next year's summit", starts_at=timezone.now() + timedelta(days=400))
    return event, ann


def test_each_event_has_its_registrations_attendance_new_people_and_pipeline(client, meetup):
    login(client, MARKETER)
    rows = csv_table(client, {"period": "7d", "table": "events"})
    assert [row["Event"] for row in rows] == ["Revenue meetup Berlin"]
    row = rows[0]
    counts = (row["Registrations"], row["Awaiting approval"], row["Registered"], row["Waitlisted"])
    assert counts == ("10", "1", "2", "1")
    assert (row["Rejected"], row["Cancelled"], row["Attended"], row["No-shows"], row["Walk-ins"]) == (
        "1",
        "1",
        "3",
        "1",
        "1",
    )
    # Pre-registered attendees (2) over seats held by pre-registrations (2 approved + 2 attended + 1 no-show).
    assert row["Attendance rate"] == "0.4000"
    assert row["New people"] == "1"
    # The number opens the people list of those the event brought, and the list shows as many.
    html = client.get(URL, {"period": "7d"}).content.decode()
    link = re.search(r'href="(/admin/leads/person/\?j_form=event%3A\d+)"', html).group(1)
    assert list_count(client, link) == 1
    assert (row["Deals after"], row["Pipeline after"], row["Won after"]) == ("2", "58000.00", "50000.00")


def test_registrations_over_time_for_one_event(client, meetup):
    event, _ = meetup
    login(client, MARKETER)
    html = client.get(URL, {"period": "7d", "event": event.pk}).content.decode()
    assert "Registrations over time: Revenue meetup Berlin" in html and 'role="img"' in html
    rows = csv_table(client, {"period": "7d", "event": event.pk, "table": "registrations"})
    # Nine registered three days before the start, the walk-in on the day.
    assert [(row["Registrations"], row["Running total"]) for row in rows if row["Registrations"] != "0"] == [
        ("9", "9"),
        ("1", "10"),
    ]
    assert rows[-1]["Running total"] == "10"


@pytest.mark.parametrize(("value", "message"), [("abc", "must be an event id"), ("999999", "is not an event")])
def test_a_wrong_event_is_a_400_naming_it(client, meetup, value, message):
    login(client, MARKETER)
    response = client.get(URL, {"period": "7d", "event": value})
    html = response.content.decode()
    assert response.status_code == 400 and "<strong>event</strong>" in html and message in html


def test_a_sales_rep_counts_the_registrations_of_their_own_people(client, meetup):
    _event, ann = meetup
    rep = login(client, SALES_REP)
    row = csv_table(client, {"period": "7d", "table": "events"})[0]
    assert (row["Registrations"], row["Deals after"], row["New people"]) == ("0", "0", "0")
    ann.owner = rep
    ann.save(update_fields=["owner"])
    PersonJourney.objects.filter(person=ann).update(owner=rep)
    row = csv_table(client, {"period": "7d", "table": "events"})[0]
    assert (row["Registrations"], row["Attended"], row["Deals after"], row["Won after"], row["New people"]) == (
        "1",
        "1",
        "1",
        "50000.00",
        "1",
    )


def test_editors_do_not_see_the_events_report(client, meetup):
    login(client, EDITOR)
    response = client.get(URL)
    assert response.status_code in (302, 403) and "Revenue meetup" not in response.content.decode()


def test_hostile_event_titles_are_escaped(client, db):
    EventFactory(title='<script>alert("x")</script>', starts_at=timezone.now() - timedelta(hours=3))
    login(client, MARKETER)
    html = client.get(URL, {"period": "7d"}).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_a_registration_not_yet_joined_to_a_person_counts_for_those_who_see_everybody(client, db):
    event = EventFactory(title="Breakfast briefing", starts_at=timezone.now() - timedelta(hours=5))
    RegistrationFactory(event=event, status=S.APPROVED, lead=None)
    login(client, MARKETER)
    assert csv_table(client, {"period": "7d", "table": "events"})[0]["Registrations"] == "1"
    login(client, SALES_REP)
    assert csv_table(client, {"period": "7d", "table": "events"})[0]["Registrations"] == "0"
