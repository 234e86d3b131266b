"""The stage rules run after whatever raised a score, not only after a form fill: an interaction recorded
outside a capture (a check-in, a re-download), and the nightly rescore. Each promotion happens once: one
MQL transition, one owner, one CRM push, however many paths reach it at the same moment."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from leads.models import CrmDelivery, LeadStoreSettings, Person, SalesRep, ScoringRule, StageTransition
from leads.services import interaction_record, lead_capture, sales_reject
from tests.concurrency import together
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mql_at_30(django_user_model):
    """MQL from 30 points; attending an event gives 35; one rep takes everybody."""
    settings = LeadStoreSettings.load()
    settings.mql_min_total = 30
    settings.save()
    ScoringRule.objects.create(name="Attended", kind="interest", interaction_type="event_attended", points=35)
    user = django_user_model.objects.create_user("anna", "anna@northwind.example", "pw")
    SalesRep.objects.create(user=user)
    return user


def attended(person, **fields):
    return interaction_record(type="event_attended", person=person, object_type="event", object_id="7", **fields)


def mql_moves(person):
    return StageTransition.objects.filter(person=person, to_stage="mql")


def test_an_interaction_outside_a_form_makes_an_mql_with_an_owner_and_one_push(mql_at_30):
    person = PersonFactory(stage="lead")
    attended(person)
    person.refresh_from_db()
    assert (person.stage, person.owner, person.interest_score) == ("mql", mql_at_30, 35)
    assert "meets the MQL condition" in mql_moves(person).get().reason
    assert CrmDelivery.objects.filter(person=person, event="mql").count() == 1
    # More interest later changes nothing: they are sales' already.
    attended(person)
    assert mql_moves(person).count() == 1 and CrmDelivery.objects.filter(person=person).count() == 1


def test_junk_and_do_not_contact_are_scored_but_never_handed_over(mql_at_30):
    people = [PersonFactory(is_test=True), PersonFactory(is_competitor=True), PersonFactory(do_not_contact=True)]
    for person in people:
        attended(person)
        person.refresh_from_db()
        assert person.interest_score == 35 and person.stage == "lead"
    assert not CrmDelivery.objects.exists()


def test_the_nightly_rescore_promotes_whom_a_late_join_qualified_once(mql_at_30):
    late = PersonFactory(stage="lead")
    junk = PersonFactory(stage="lead", is_test=True)
    below = PersonFactory(stage="lead")
    for person in (late, junk):
        attended(person, rescore=False)  # joined without a rescore, as a late identification does
    interaction_record(type="page_view", person=below, rescore=False)
    assert Person.objects.get(pk=late.pk).stage == "lead"

    out = io.StringIO()
    call_command("rescore", stdout=out)
    assert "became MQL" in out.getvalue() and ", 1 became MQL." in out.getvalue()
    assert Person.objects.get(pk=late.pk).stage == "mql" and Person.objects.get(pk=late.pk).owner == mql_at_30
    assert Person.objects.get(pk=junk.pk).stage == "lead" and Person.objects.get(pk=below.pk).stage == "lead"

    call_command("rescore", stdout=(out := io.StringIO()))
    assert ", 0 became MQL." in out.getvalue()
    assert mql_moves(late).count() == 1 and CrmDelivery.objects.filter(person=late).count() == 1


def test_the_cool_down_blocks_the_score_but_not_someone_who_asks_for_sales(mql_at_30):
    person = PersonFactory(stage="lead", email="ceo@meridian-bank.de")
    attended(person)
    sales_reject(Person.objects.get(pk=person.pk), actor=mql_at_30, reason="No budget this year")
    # Interest during the cool-down, by an interaction or by the nightly rescore: still nurture.
    attended(Person.objects.get(pk=person.pk))
    call_command("rescore", stdout=io.StringIO())
    assert Person.objects.get(pk=person.pk).stage == "nurture"
    # Asking for sales is a hand-raise: it goes through, and the move says when it came.
    lead_capture(source="form", payload={"email": "ceo@meridian-bank.de"}, interaction_type="contact_sales")
    person.refresh_from_db()
    assert person.stage == "mql"
    latest = mql_moves(person).latest("occurred_at")
    assert latest.reason == "Fast lane: asked to contact sales (during the cool-down after a sales rejection)"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
def test_paths_that_qualify_a_person_at_the_same_instant_hand_them_over_once(mql_at_30):
    people = PersonFactory.create_batch(3, stage="lead")
    for person in people:
        attended(person, rescore=False)
    calls = [lambda person=person: attended(Person.objects.get(pk=person.pk)) for person in people for _ in range(3)]
    calls += [lambda: call_command("rescore", stdout=io.StringIO())] * 2
    _results, errors = together(calls)
    assert not errors, errors
    for person in people:
        assert mql_moves(person).count() == 1, person
        assert CrmDelivery.objects.filter(person=person).count() == 1
