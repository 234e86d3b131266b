"""The capture service: raw first, never lost, cleaned, resolved to one person and company."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from leads.models import Company, Interaction, Lead, LeadStoreSettings, Person, VisitorLink
from leads.services import lead_capture, person_merge

pytestmark = pytest.mark.django_db

VISITOR = "v_7f3a9c2e4b1d4e8f"


def capture(email="jane.doe@meridian-bank.de", **fields):
    payload = {
        "email": email,
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "Meridian Bank",
        "job_title": "VP Marketing",
        "country": "DE",
        **fields,
    }
    return lead_capture(
        source="form",
        payload=payload,
        origin_type="content",
        origin_id="42",
        origin_label="State of RevOps 2026",
        visitor_id=fields.pop("visitor_id", VISITOR),
    )


def test_a_capture_makes_a_person_a_company_and_an_interaction():
    lead = capture(utm_campaign="q4-banking", utm_source="linkedin")
    assert (lead.status, lead.verdict, lead.flags) == ("processed", "clean", [])
    person = lead.person
    assert person.email == "jane.doe@meridian-bank.de" and person.seniority == "vp"
    assert person.company.name == "Meridian Bank"
    assert list(person.company.domains.values_list("domain", flat=True)) == ["meridian-bank.de"]
    assert lead.utm_campaign == "q4-banking"
    interaction = Interaction.objects.get(lead=lead)
    assert (interaction.type, interaction.person, interaction.object_label) == (
        "form_submit",
        person,
        "State of RevOps 2026",
    )
    assert VisitorLink.objects.filter(person=person, visitor_id=VISITOR).exists()


def test_the_raw_payload_is_kept_exactly_even_when_it_is_garbage():
    payload = {
        "email": "x\x00y@bank.de",
        "notes": "<script>alert(1)</script>" * 500,
        "nested": {"a": [1, None]},
        "sql": "'; DROP TABLE leads_lead;--",
        "mixed": "Ωmega 李 🚀",
    }
    lead = lead_capture(source="webhook", payload=payload)
    lead.refresh_from_db()
    assert lead.payload == payload
    assert lead.verdict == "flagged" and "invalid_email" in lead.flag_codes
    assert lead.person is None


@pytest.mark.parametrize("payload", [None, [], "just a string", 42, {"email": ["a@b.de", "c@d.de"]}, {}])
def test_any_payload_shape_gives_a_verdict(payload):
    lead = lead_capture(source="import", payload=payload)
    assert lead.status == "processed"
    assert lead.verdict in {"clean", "flagged"}
    assert json.loads(lead.raw_payload) == payload


def test_a_failing_later_step_loses_nothing_and_reprocessing_finishes_the_job(monkeypatch):
    from leads.services import capture as capture_module

    def broken(*args, **kwargs):
        raise RuntimeError("enrichment service down")

    monkeypatch.setattr(capture_module, "person_resolve", broken)
    lead = capture()
    assert lead.pk and lead.status == "failed"
    assert "enrichment service down" in lead.processing_error
    assert Lead.objects.filter(pk=lead.pk).exists() and Person.objects.count() == 0

    monkeypatch.undo()
    call_command("reprocess_leads", stdout=open("/dev/null", "w"))
    lead.refresh_from_db()
    assert lead.status == "processed" and lead.person.email == "jane.doe@meridian-bank.de"
    assert lead.attempts == 2


def test_case_and_plus_addressing_are_one_person():
    first = capture("Jane.Doe@Meridian-Bank.de")
    second = capture("jane.doe+events@meridian-bank.DE", utm_campaign="other")
    assert first.person_id == second.person_id
    assert Person.objects.count() == 1


@pytest.mark.parametrize("address", ["+sales@acme-hostile.de", "+@acme-hostile.de", "++@acme-hostile.de"])
def test_an_address_without_a_mailbox_name_is_never_folded_into_another(address):
    """`+2+3@acme-hostile.de` and `+sales@acme-hostile.de` used to share the key `@acme-hostile.de`: the
    second submission merged into the first person and overwrote their first name."""
    first = capture("+2+3@acme-hostile.de", first_name="Victim")
    second = capture(address, first_name="Attacker")
    if second.status != "processed" or second.person_id is None:  # refused as an address: also fine
        assert Person.objects.get().first_name == "Victim"
        return
    assert second.person_id != first.person_id
    assert Person.objects.get(pk=first.person_id).first_name == "Victim"
    assert not Person.objects.filter(email_key__startswith="@").exists()


def test_an_address_starting_with_plus_is_kept_whole_rather_than_guessed_at():
    """With no mailbox name before the first "+", nothing says which part is a tag: two people at worst,
    never one person for two mailboxes."""
    assert capture("+sales+news@acme.de").person_id != capture("+sales@acme.de").person_id
    assert capture("Jane+news@acme.de").person_id == capture("jane@acme.de").person_id


def test_stored_keys_without_a_local_part_are_recomputed_by_the_migration():
    from importlib import import_module

    from django.apps import apps

    person = capture("+2+3@acme-hostile.de").person
    Person.objects.filter(pk=person.pk).update(email_key="@acme-hostile.de")
    import_module("leads.migrations.0009_identity_keys_keep_the_local_part").recompute(apps, None)
    person.refresh_from_db()
    assert person.email_key == "+2+3@acme-hostile.de"


def test_duplicates_within_the_window_are_flagged_and_not_scored_twice():
    first = capture()
    second = capture()
    assert "duplicate" not in first.flag_codes
    assert "duplicate" in second.flag_codes and second.verdict == "flagged"
    assert f"same person and source as {first.lid}" in second.flags[0]["reason"]
    assert Interaction.objects.filter(person=first.person).count() == 1


def test_outside_the_window_is_not_a_duplicate():
    settings = LeadStoreSettings.load()
    settings.duplicate_window_minutes = 10
    settings.save()
    lead_capture(source="form", payload={"email": "a@bank.de"}, received_at=timezone.now() - timedelta(minutes=11))
    later = lead_capture(source="form", payload={"email": "a@bank.de"})
    assert "duplicate" not in later.flag_codes


def test_personal_email_never_becomes_a_company():
    lead = capture("jane.doe@gmail.com", company="")
    assert lead.person.company is None and lead.person.is_personal_email
    assert "personal_email" in lead.flag_codes and lead.verdict == "clean"
    with_name = capture("john@gmail.com", company="Kestrel Manufacturing")
    assert with_name.person.company.name == "Kestrel Manufacturing"
    assert not with_name.person.company.domains.exists()


def test_company_found_by_domain_or_name():
    a = capture("a@kestrel.example.org", company="Kestrel")
    b = capture("b@kestrel.example.org", company="Kestrel Manufacturing GmbH")
    assert a.person.company_id == b.person.company_id
    c = capture("c@yahoo.com", company="  kestrel  ")  # personal mailbox: found by the name instead
    d = capture("d@gmail.com", company="KESTREL")
    assert c.person.company_id == d.person.company_id == a.person.company_id
    e = capture("e@gmail.com", company="Atlas Health")
    assert e.person.company_id != a.person.company_id
    assert Company.objects.count() == 2


def test_blanks_never_overwrite_and_new_values_do():
    capture(phone="+49 30 12345678", job_title="Marketing Manager")
    lead = capture(phone="", job_title="VP Marketing", first_name="", origin_id_unused="x")
    person = Person.objects.get()
    assert person.phone == "+493012345678"  # blank phone did not erase it
    assert person.job_title == "VP Marketing"  # newer value wins
    assert person.first_name == "Jane"
    assert lead.verdict in {"clean", "flagged"}


def test_junk_leads_do_not_change_a_real_person():
    capture(job_title="VP Marketing")
    junk = lead_capture(
        source="form", payload={"email": "jane.doe@meridian-bank.de", "first_name": "Test", "job_title": "asdf"}
    )
    assert "test_data" in junk.flag_codes
    assert Person.objects.get().job_title == "VP Marketing"


def test_flagged_people_carry_their_flags():
    settings = LeadStoreSettings.load()
    settings.competitor_domains = "rival.io"
    settings.save()
    spy = lead_capture(source="form", payload={"email": "spy@rival.io"})
    assert spy.person.is_competitor and spy.verdict == "flagged"
    tester = lead_capture(source="form", payload={"email": "qa@example.com"})
    assert tester.person.is_test


def test_anonymous_history_joins_the_person_and_a_shared_browser_keeps_both_histories():
    Interaction.objects.create(type="page_view", occurred_at=timezone.now() - timedelta(hours=1), visitor_id=VISITOR)
    a = capture("anna@bank.de")
    assert Interaction.objects.filter(person=a.person, type="page_view").count() == 1
    b = capture("ben@bank.de")  # same browser, another person
    assert Interaction.objects.filter(person=a.person).count() == 2
    assert Interaction.objects.filter(person=b.person).count() == 1
    assert set(VisitorLink.objects.filter(visitor_id=VISITOR).values_list("person__email", flat=True)) == {
        "anna@bank.de",
        "ben@bank.de",
    }


def test_a_malformed_visitor_id_is_not_trusted():
    lead = lead_capture(source="form", payload={"email": "a@bank.de"}, visitor_id="'; DROP--<x>")
    assert lead.visitor_id == "" and not VisitorLink.objects.exists()


def test_merge_keeps_the_older_id_and_moves_everything():
    older = capture("old@bank.de").person
    newer = capture("new@bank.de", visitor_id="v_second_browser_1").person
    newer_id = newer.pk
    log = person_merge(keep=newer, merge=older)  # order given does not matter: the older id wins
    assert log.kept_id == older.pk and log.merged_person_id == newer_id
    assert not Person.objects.filter(pk=newer_id).exists()
    assert Lead.objects.filter(person=older).count() == 2
    assert Interaction.objects.filter(person=older).count() == 2
    assert VisitorLink.objects.filter(person=older).count() == 2
    assert log.snapshot["email"] == "new@bank.de" and log.moved["leads"] == 1


def test_merge_keeps_queued_crm_pushes_and_rescores(settings):
    from leads.models import CrmDelivery, ScoringRule
    from leads.services import crm_push_queue

    ScoringRule.objects.create(name="Form", kind="interest", interaction_type="form_submit", points=10)
    older = capture("old@bank.de").person
    newer = capture("new@bank.de", visitor_id="v_second_browser_1").person
    delivery = crm_push_queue(newer, event="mql")
    assert older.interest_score == 10
    person_merge(keep=older, merge=newer)
    delivery.refresh_from_db()
    older.refresh_from_db()
    assert delivery.person_id == older.pk and CrmDelivery.objects.count() == 1
    assert older.interest_score == 20  # both form fills now count for the surviving person


def test_with_a_real_queue_the_request_only_stores_and_enqueues(settings):
    from django_tasks import task_backends

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
        "background": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"},
    }
    lead = capture()
    assert lead.status == "received" and lead.person is None
    assert [result.args for result in task_backends["background"].results] == [[lead.pk]]
    assert Person.objects.count() == 0
    call_command("reprocess_leads", stdout=open("/dev/null", "w"))  # what a worker (or the sweeper) does
    lead.refresh_from_db()
    assert lead.status == "processed" and lead.person.email == "jane.doe@meridian-bank.de"


def test_a_broken_queue_loses_nothing(monkeypatch):
    from leads import tasks

    def down(*args, **kwargs):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(tasks, "process_lead", SimpleNamespace(enqueue=down, get_backend=object))
    lead = capture()
    assert lead.pk and lead.status == "received"
    monkeypatch.undo()
    call_command("reprocess_leads", stdout=open("/dev/null", "w"))
    lead.refresh_from_db()
    assert lead.status == "processed"
