"""The telemarketing queue (sales.telemarketing, sales.telemarketing_views) and the calls it records
(leads.services.calls): who is in the queue and in which order, what each outcome does, an MQL by
hand handed over like an automatic one, disqualifying with a reason, double submissions, who may see
what, and hostile input.

Tina is a telemarketer; Rita, Mona, Mark and Ada are the sales organisation of tests/sales/conftest.py.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from leads.models import CrmDelivery, Interaction, Person, StageTransition
from leads.services.calls import CallError, call_record
from leads.services.lifecycle import mql_by_hand
from sales.roles import TELEMARKETER
from sales.telemarketing import queue_people
from tests.concurrency import together
from tests.factories.leads import CompanyFactory, InteractionFactory, PersonFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/sales/call-queue/"


def call_url(person) -> str:
    return f"{QUEUE}call/{getattr(person, 'pk', person)}/"


def refused(response) -> bool:
    """Wagtail's answer to a missing right: back to the dashboard."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def queued(**fields) -> Person:
    """Somebody the queue takes: a lead nobody owns, graded, with a phone."""
    values = {"stage": "lead", "phone": "+4930901820", "grade": "B2", "fit_score": 40, "interest_score": 20}
    values["last_name"] = "Roe"
    return PersonFactory(**{**values, **fields})


def in_queue(now=None) -> list[int]:
    return list(queue_people(now).values_list("pk", flat=True))


def call(person, **fields):
    InteractionFactory(
        person=person,
        type="call",
        object_type="call",
        object_id=fields.pop("outcome"),
        occurred_at=timezone.now() - fields.pop("ago", timedelta(0)),
        **fields,
    )


@pytest.fixture
def tina(make_role_user):
    return make_role_user("tina", TELEMARKETER)


@pytest.fixture
def as_tina(client, tina):
    client.force_login(tina)
    return client


@pytest.fixture
def reps(org):
    """Rita is the only rep the round-robin may pick (the others are at weight 0)."""
    from leads.models import SalesRep

    SalesRep.objects.exclude(user=org["rita"]).update(weight=0)
    return org


def post_call(client, person, outcome, **fields):
    data = {"outcome": outcome, "token": str(fields.pop("token", uuid.uuid4())), **fields}
    return client.post(call_url(person), data)


# --- Who is in the queue ---------------------------------------------------------------------------
def test_the_queue_holds_unowned_graded_leads_with_a_phone_and_nobody_else(org):
    jane = queued(first_name="Jane")
    others = {
        "mql": queued(stage="mql"),
        "nurture": queued(stage="nurture"),
        "disqualified": queued(stage="disqualified"),
        "owned": queued(owner=org["rita"]),
        "no phone": queued(phone=""),
        "test data": queued(is_test=True),
        "competitor": queued(is_competitor=True),
        "do not contact": queued(do_not_contact=True),
        "never scored": queued(grade=""),
    }
    assert in_queue() == [jane.pk], {name: p.pk for name, p in others.items() if p.pk in in_queue()}


def test_a_call_holds_a_person_back_for_as_long_as_its_outcome_says():
    cases = {
        # outcome, how long ago: in the queue?
        ("no_answer", timedelta(hours=3)): False,
        ("no_answer", timedelta(hours=5)): True,
        ("reached", timedelta(days=6)): False,
        ("reached", timedelta(days=8)): True,
        ("not_interested", timedelta(days=80)): False,
        ("not_interested", timedelta(days=91)): True,
        ("wrong_number", timedelta(days=89)): False,
        ("wrong_number", timedelta(days=91)): True,
    }
    people = {}
    for (outcome, ago), _expected in cases.items():
        people[outcome, ago] = person = queued()
        call(person, outcome=outcome, ago=ago)
    queue = set(in_queue())
    assert {key: people[key].pk in queue for key in cases} == cases


def test_three_unanswered_calls_in_30_days_take_a_person_out_until_the_first_is_30_days_old():
    tried = queued()
    for days in (20, 10, 1):
        call(tried, outcome="no_answer", ago=timedelta(days=days))
    twice = queued()
    for days in (10, 1):
        call(twice, outcome="no_answer", ago=timedelta(days=days))
    assert tried.pk not in in_queue() and twice.pk in in_queue()
    # Eleven days on, the first of the three is 31 days old: two remain, and Tina may try again.
    assert tried.pk in in_queue(now=timezone.now() + timedelta(days=11))


def test_who_to_call_first_grade_then_freshness_then_the_newest():
    now = timezone.now()
    a1_stale, a1_fresh, a1_never = queued(grade="A1"), queued(grade="A1"), queued(grade="A1")
    b1_fresh, a2_fresh = queued(grade="B1"), queued(grade="A2")
    for person, days in ((a1_stale, 30), (a1_fresh, 1), (b1_fresh, 0), (a2_fresh, 0)):
        InteractionFactory(person=person, type="page_view", occurred_at=now - timedelta(days=days))
    # Our own doings are not theirs: a call (held back only for hours) and a tag change do not freshen.
    call(a1_stale, outcome="no_answer", ago=timedelta(hours=5))
    InteractionFactory(person=a1_stale, type="tag_added", occurred_at=now)
    twin = queued(grade="A1")  # never active either, and newer than a1_never
    assert in_queue() == [a1_fresh.pk, a1_stale.pk, twin.pk, a1_never.pk, a2_fresh.pk, b1_fresh.pk]


def test_the_queue_screen_shows_the_order_rows_and_why(as_tina):
    meridian = CompanyFactory(name="Meridian Bank")
    jane = queued(first_name="Jane", last_name="Roe", company=meridian, grade="A1", phone="+4930123456")
    InteractionFactory(person=jane, type="content_download", occurred_at=timezone.now() - timedelta(days=2))
    call(jane, outcome="no_answer", ago=timedelta(hours=6), properties={"by": "Tina", "note": ""})
    html = as_tina.get(QUEUE).content.decode()
    assert "Why this order" in html and "Grade first" in html and "1 person to call" in html
    assert "Jane Roe" in html and "Meridian Bank" in html and call_url(jane) in html
    assert 'href="tel:+4930123456"' in html  # telemarketers see and dial the number
    assert 'data-call="no_answer">No answer' in html
    assert f"{jane.email}" not in html  # the email is not theirs to see


def test_a_long_queue_is_counted_up_to_a_thousand(as_tina, monkeypatch):
    from sales import telemarketing_views

    monkeypatch.setattr(telemarketing_views, "QUEUE_COUNT_CAP", 30)
    PersonFactory.create_batch(31, stage="lead", phone="+4930901820", grade="C3")
    first = as_tina.get(QUEUE).content.decode()
    assert "30+ people to call: the first 30 are shown" in first
    assert as_tina.get(QUEUE, {"p": "2"}).context["page_obj"].number == 2
    assert as_tina.get(QUEUE, {"p": "9"}).context["page_obj"].number == 2  # past the end: the last page
    empty = as_tina.get(QUEUE, {"grade": "A1"}).content.decode()
    assert "No people to call match your query" in empty


def test_the_queue_narrows_by_grade_and_country_and_names_a_bad_filter(as_tina):
    german, french = queued(first_name="Gerda", grade="A1", country="DE"), queued(first_name="Flore", country="FR")
    html = as_tina.get(QUEUE, {"grade": "a1"}).content.decode()
    assert "Gerda" in html and "Flore" not in html
    html = as_tina.get(QUEUE, {"country": "FR"}).content.decode()
    assert "Flore" in html and "Gerda" not in html
    for hostile in ({"grade": "Z9"}, {"country": "<script>x</script>"}, {"grade": "\x00"}, {"grade": "A" * 5000}):
        response = as_tina.get(QUEUE, hostile)
        assert response.status_code in (200, 400), hostile
        if response.status_code == 200:
            html = response.content.decode()
            assert "Select a valid choice" in html and "Gerda" in html and "Flore" in html, hostile
    assert as_tina.get(f"{QUEUE}results/", {"country": "DE"}).status_code == 200
    assert german and french


def test_the_queue_page_costs_the_same_queries_for_3_or_30_people(as_tina, django_assert_max_num_queries):
    def count() -> int:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert as_tina.get(QUEUE).status_code == 200
        return len(queries)

    for _ in range(3):
        person = queued(grade="A1")
        call(person, outcome="no_answer", ago=timedelta(hours=5))
    count()  # warm caches
    few = count()
    for _ in range(27):
        person = queued(grade="B1")
        call(person, outcome="reached", ago=timedelta(days=9))
        InteractionFactory(person=person, type="page_view")
    assert count() == few
    with django_assert_max_num_queries(15):
        as_tina.get(QUEUE)


# --- Recording a call -------------------------------------------------------------------------------
def test_no_answer_is_on_the_timeline_and_holds_them_back_for_four_hours(as_tina, tina, org):
    jane = queued(first_name="Jane")
    response = post_call(as_tina, jane, "no_answer", note="Voicemail, \x1b[31m left none")
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert said(response) == ["Jane Roe: no answer recorded. Back in the queue in 4 hours."]
    made = Interaction.objects.get(person=jane, type="call")
    assert (made.object_type, made.object_id, made.object_label) == ("call", "no_answer", "No answer, by Tina")
    assert made.properties == {
        "outcome": "no_answer",
        "note": "Voicemail, [31m left none",
        "by": "Tina",
        "by_id": tina.pk,
    }
    assert jane.pk not in in_queue() and jane.pk in in_queue(now=timezone.now() + timedelta(hours=4, minutes=1))
    jane.refresh_from_db()
    assert jane.stage == "lead" and not StageTransition.objects.filter(person=jane).exists()
    # Sales read it on the person's timeline, and in the stage history's phone calls (it moved nothing).
    as_tina.force_login(org["ada"])
    profile = as_tina.get(f"/admin/leads/person/inspect/{jane.pk}/").content.decode()
    assert 'data-type="call"' in profile and "No answer, by Tina" in profile
    calls = profile.split("data-profile-calls", 1)[1].split("</ul>", 1)[0]
    assert 'data-call="no_answer"' in calls and "No answer, by Tina: Voicemail" in calls


def test_qualified_makes_an_mql_by_hand_with_an_owner_and_one_crm_push(as_tina, tina, reps):
    jane = queued(first_name="Jane", country="DE")
    token = uuid.uuid4()
    response = post_call(as_tina, jane, "qualified", note="Budget in Q3, wants a demo", token=token)
    assert said(response) == ["Jane Roe: qualified; now a Marketing qualified lead (MQL), handed to sales."]
    jane.refresh_from_db()
    assert jane.stage == "mql" and jane.owner == reps["rita"]
    move = StageTransition.objects.get(person=jane)
    assert (move.from_stage, move.to_stage, move.reason_type, move.actor) == ("lead", "mql", "user", tina)
    assert move.reason == "Qualified by phone by Tina: Budget in Q3, wants a demo"
    assert CrmDelivery.objects.filter(person=jane, event="mql").count() == 1
    # The same form sent again (a double click, a resend): one call, one MQL, one push.
    again = post_call(as_tina, jane, "qualified", token=token)
    assert again.status_code == 302 and said(again)[-1] == "Jane Roe: this call was already recorded; nothing changed."
    assert Interaction.objects.filter(person=jane, type="call").count() == 1
    assert StageTransition.objects.filter(person=jane).count() == 1 and CrmDelivery.objects.count() == 1
    # Out of the queue now (sales' to call): a new call from the queue is a 404.
    assert as_tina.get(call_url(jane)).status_code == 404
    assert post_call(as_tina, jane, "qualified").status_code == 404


def test_disqualifying_needs_a_reason_and_a_call_that_learned_something(as_tina, tina):
    jane = queued(first_name="Jane")
    response = post_call(as_tina, jane, "not_interested", disqualify="on", reason="")
    assert response.status_code == 200
    assert "Give a reason to disqualify" in response.context["form"].errors["reason"][0]
    response = post_call(as_tina, jane, "no_answer", disqualify="on", reason="Never picks up")
    assert "cannot disqualify" in response.context["form"].errors["disqualify"][0]
    response = post_call(as_tina, jane, "reached", reason="Student")  # a reason without ticking the box
    assert "Tick Disqualify" in response.context["form"].errors["disqualify"][0]
    assert not Interaction.objects.filter(person=jane).exists()

    response = post_call(as_tina, jane, "wrong_number", disqualify="on", reason="Number belongs to a bakery")
    assert said(response) == ["Jane Roe: wrong number; disqualified."]
    jane.refresh_from_db()
    move = StageTransition.objects.get(person=jane)
    assert (jane.stage, move.to_stage, move.actor, move.reason_type) == ("disqualified", "disqualified", tina, "user")
    assert move.reason == "Disqualified by phone (wrong number) by Tina: Number belongs to a bakery"
    assert Interaction.objects.get(person=jane, type="call").properties["disqualified"] == "Number belongs to a bakery"


def test_not_interested_without_disqualifying_holds_them_back_90_days(as_tina):
    jane = queued(first_name="Jane")
    response = post_call(as_tina, jane, "not_interested", note="Try next year")
    assert said(response) == ["Jane Roe: not interested recorded. Back in the queue in 90 days."]
    jane.refresh_from_db()
    assert jane.stage == "lead" and jane.pk not in in_queue()


def test_a_call_runs_the_stage_rules_like_any_interaction(as_tina, reps):
    """A rule may count calls (a reached lead is worth points): enough of them make an MQL the usual way."""
    from leads.models import LeadStoreSettings, ScoringRule

    settings = LeadStoreSettings.load()
    settings.mql_min_total = 25  # no fit rules here: the score is the call's 30 points
    settings.save()
    ScoringRule.objects.create(name="Spoke to us", kind="interest", interaction_type="call", points=30)
    jane = queued(first_name="Jane", fit_score=0, interest_score=0)
    post_call(as_tina, jane, "reached")
    jane.refresh_from_db()
    assert jane.stage == "mql" and StageTransition.objects.get(person=jane).reason_type == "rule"
    assert CrmDelivery.objects.filter(person=jane).count() == 1


def test_the_call_screen_shows_the_person_and_is_an_audit_entry(as_tina, tina):
    jane = queued(first_name="Jane", last_name="Roe", job_title="CFO", phone="+4930123456")
    InteractionFactory(person=jane, type="content_download", object_label="State of RevOps")
    call(jane, outcome="reached", ago=timedelta(days=8), properties={"by": "Tom", "note": "Call back in May"})
    html = as_tina.get(call_url(jane)).content.decode()
    assert "Jane Roe" in html and "CFO" in html and 'href="tel:+4930123456"' in html
    assert "State of RevOps" in html and "Call back in May" in html and "Tom" in html
    assert 'name="token"' in html and "csrfmiddlewaretoken" in html
    entry = ModelLogEntry.objects.get(action="sales.view_profile", user=tina)
    assert entry.data == {"person": jane.pk, "masked": False}


def test_what_a_call_taught_goes_on_as_tags_by_the_caller(as_tina, tina):
    jane = queued(first_name="Jane")
    response = post_call(as_tina, jane, "reached", tags="<b>bold</b>")
    assert "looks like HTML" in response.context["form"].errors["tags"][0]
    post_call(as_tina, jane, "reached", note="Budget next year", tags="called-q4, Budget Q3, called-q4")
    assert sorted(jane.tags.values_list("slug", flat=True)) == ["budget-q3", "called-q4"]
    added = Interaction.objects.filter(person=jane, type="tag_added")
    assert added.count() == 2 and {row.properties["by_id"] for row in added} == {tina.pk}


def test_a_caller_without_the_tag_right_gets_no_tags_field(client, make_role_user):
    from django.core.exceptions import PermissionDenied

    from sales.telemarketing import queue_call_record

    caller = make_role_user("cal", None, extra_permissions=["wagtailadmin.access_admin", "leads.qualify_by_phone"])
    jane = queued()
    client.force_login(caller)
    assert 'name="tags"' not in client.get(call_url(jane)).content.decode()
    post_call(client, jane, "reached", tags="sneaky")  # the field is not theirs: ignored
    assert Interaction.objects.filter(person=jane, type="call").count() == 1 and not jane.tags.exists()
    with pytest.raises(PermissionDenied):
        queue_call_record(caller, queued().pk, outcome="reached", tags=["sneaky"])


# --- Hostile and broken input --------------------------------------------------------------------------
def test_bad_input_is_an_error_on_its_field_never_a_500(as_tina):
    jane = queued(first_name="Jane")
    cases = [
        ({"outcome": "bogus"}, "outcome"),
        ({"outcome": ""}, "outcome"),
        ({"outcome": "reached", "token": "not-a-uuid"}, "token"),
        ({"outcome": "reached", "token": ""}, "token"),
        ({"outcome": "reached", "note": "x" * 1001}, "note"),
        ({"outcome": "not_interested", "disqualify": "on", "reason": "y" * 401}, "reason"),
        ({"outcome": "<script>alert(1)</script>"}, "outcome"),
        ({"outcome": "reached", "disqualify": "maybe", "reason": "\x00"}, "reason"),
    ]
    for data, field in cases:
        data.setdefault("token", str(uuid.uuid4()))
        response = as_tina.post(call_url(jane), data)
        assert response.status_code == 200, data
        assert field in response.context["form"].errors, (data, response.context["form"].errors)
        assert "<script>alert" not in response.content.decode()
    assert not Interaction.objects.filter(person=jane).exists()
    # A repeated field: the last value counts, as Django reads a list.
    response = as_tina.post(call_url(jane), {"outcome": ["qualified", "no_answer"], "token": str(uuid.uuid4())})
    assert response.status_code == 302 and Interaction.objects.get(person=jane).object_id == "no_answer"


def test_ids_nobody_holds_and_people_outside_the_queue_are_not_found(as_tina, org, book):
    assert as_tina.get(call_url(book["rita1"])).status_code == 404  # an MQL Rita owns
    assert as_tina.get(call_url(10**12)).status_code == 404
    assert as_tina.get(f"{QUEUE}call/{2**70}/").status_code == 404
    assert post_call(as_tina, 10**12, "reached").status_code == 404
    assert post_call(as_tina, book["rita1"], "qualified").status_code == 404
    assert not Interaction.objects.filter(type="call").exists()


def test_a_token_already_used_for_someone_else_is_refused():
    jane, john = queued(), queued()
    token = uuid.uuid4()
    call_record(jane, outcome="no_answer", actor=None, token=token)
    with pytest.raises(CallError) as refused_call:
        call_record(john, outcome="no_answer", actor=None, token=token)
    assert refused_call.value.field == "token"


def test_the_call_form_is_csrf_protected(tina):
    jane = queued()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(tina)
    assert post_call(strict, jane, "qualified").status_code == 403
    jane.refresh_from_db()
    assert jane.stage == "lead" and not Interaction.objects.filter(person=jane).exists()


# --- The lead store's rules, through its services ---------------------------------------------------------
def test_junk_never_goes_to_sales_even_by_hand(tina):
    for person in (queued(is_test=True), queued(is_competitor=True), queued(do_not_contact=True)):
        with pytest.raises(CallError) as refused_call:
            call_record(person, outcome="qualified", actor=tina)
        assert refused_call.value.field == "outcome"
        with pytest.raises(ValueError):
            mql_by_hand(person, actor=tina, reason="By hand")
    assert not CrmDelivery.objects.exists()


def test_an_mql_by_hand_during_the_cool_down_says_so(tina, reps):
    jane = queued(mql_blocked_until=timezone.now() + timedelta(days=10))
    move = mql_by_hand(jane, actor=tina, reason="Qualified by phone by Tina")
    assert move.reason == "Qualified by phone by Tina (during the cool-down after a sales rejection)"
    assert mql_by_hand(jane, actor=tina, reason="Again") is None  # an MQL already: nothing twice
    assert CrmDelivery.objects.filter(person=jane).count() == 1


# --- Who may do what ---------------------------------------------------------------------------------
def test_a_telemarketer_sees_only_the_queue(as_tina, book):
    jane = queued()
    assert as_tina.get(QUEUE).status_code == 200 and as_tina.get(call_url(jane)).status_code == 200
    for url in (
        "/admin/leads/person/",
        "/admin/leads/company/",
        "/admin/leads/lead/",
        f"/admin/leads/person/inspect/{jane.pk}/",
        f"/admin/leads/person/inspect/{book['rita1'].pk}/",
        f"/admin/leads/person/sales-feedback/{jane.pk}/",
        "/admin/sales/exports/new/?list=people",
        "/admin/sales/lead-lists/",
        "/admin/sales/saved-filters/",
        "/admin/sales/audit-log/",
        "/admin/leads/interaction/",
    ):
        assert refused(as_tina.get(url)), url
    dashboard = as_tina.get("/admin/").content.decode()
    assert "Call queue" in dashboard and "/admin/leads/person/" not in dashboard


@pytest.mark.parametrize("role,allowed", [("rita", False), ("mona", False), ("mark", False), ("ada", True)])
def test_the_queue_is_for_telemarketers_and_administrators(client, org, role, allowed):
    jane = queued()
    client.force_login(org[role])
    for url in (QUEUE, call_url(jane)):
        response = client.get(url)
        assert (response.status_code == 200) if allowed else refused(response), (role, url)
    response = post_call(client, jane, "qualified")
    assert (response.status_code == 302 and response["Location"] == QUEUE) if allowed else refused(response)
    assert ("Call queue" in client.get("/admin/").content.decode()) is allowed
    jane.refresh_from_db()
    assert (jane.stage == "mql") is allowed


def test_without_the_personal_data_right_phones_are_masked(client, make_role_user):
    caller = make_role_user("cal", None, extra_permissions=["wagtailadmin.access_admin", "leads.qualify_by_phone"])
    jane = queued(first_name="Jane", phone="+4930123456")
    client.force_login(caller)
    for url in (QUEUE, call_url(jane)):
        html = client.get(url).content.decode()
        assert "+49 *** 56" in html and "+4930123456" not in html, url
    entry = ModelLogEntry.objects.get(action="sales.view_profile", user=caller)
    assert entry.data["masked"] is True


# --- At the same instant (PostgreSQL) ----------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
def test_the_same_call_sent_twice_at_once_is_recorded_once(make_role_user):
    from leads.models import SalesRep
    from sales.telemarketing import queue_call_record

    caller = make_role_user("tina", TELEMARKETER)
    rep = make_role_user("rita", None)
    SalesRep.objects.create(user=rep)
    jane = queued()
    token = uuid.uuid4()
    results, errors = together(
        [lambda: queue_call_record(caller, jane.pk, outcome="qualified", token=token) for _ in range(4)]
    )
    assert not errors, errors
    assert sorted(record.created for record in results.values()) == [False, False, False, True]
    assert Interaction.objects.filter(person=jane, type="call").count() == 1
    assert StageTransition.objects.filter(person=jane, to_stage="mql").count() == 1
    assert CrmDelivery.objects.filter(person=jane).count() == 1


# --- The demo ----------------------------------------------------------------------------------------
def test_the_demo_has_a_telemarketer_a_queue_and_earlier_calls(settings, django_user_model):
    from cms.demo.leads import PASSWORD, DemoLeadLoader
    from cms.demo.loader import LoadReport

    settings.DEMO_USER_ENABLED = True
    DemoLeadLoader(LoadReport()).load()
    tina = django_user_model.objects.get(username="tina.telemarketing")
    assert tina.groups.filter(name=TELEMARKETER).exists() and tina.check_password(PASSWORD)
    queue = in_queue()
    assert len(queue) >= 5
    calls = Interaction.objects.filter(type="call")
    assert sorted(calls.values_list("object_label", flat=True)) == [
        "No answer, by Tina Morales",
        "No answer, by Tina Morales",
        "Reached, by Tina Morales",
    ]
    assert set(calls.values_list("person_id", flat=True)) <= set(queue)
    DemoLeadLoader(LoadReport()).load()  # a second run adds no calls
    assert Interaction.objects.filter(type="call").count() == 3
