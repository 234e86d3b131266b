"""Web behaviour in the lead store (leads.behaviour): a tracked visitor's page views are buffered while
pages are served and written in batches as page_view interactions, at least once and never twice; a
known person's score and stage follow; an anonymous visitor's views join the person when identified."""

import json
import socket
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from leads import behaviour, behaviour_buffer
from leads.behaviour import LocalBuffer, RedisBuffer, page_view_buffer, page_views_flush
from leads.behaviour_conditions import condition_parse, condition_people
from leads.models import CrmDelivery, Interaction, LeadStoreSettings, SalesRep, ScoringRule
from leads.services import visitor_link
from tests.factories import PersonFactory
from tests.personalization.conftest import Browser, committed

pytestmark = pytest.mark.django_db

VISITOR = "v_" + "a" * 24
AT = "2026-12-01T10:00:00+00:00"  # fixed: parameters must be the same in every test process


def view(buffer, *, person=None, visitor=VISITOR, path="/pricing/", at=None, **fields):
    page_view_buffer(
        visitor_id=visitor,
        person_id=person.pk if person else None,
        page_id=7,
        path=path,
        title=fields.pop("title", "Simple pricing"),
        occurred_at=at,
        buffer=buffer,
        **fields,
    )


def test_a_known_persons_page_views_become_interactions_with_what_the_page_was():
    buffer, person = LocalBuffer(), PersonFactory()
    at = timezone.now() - timedelta(minutes=3)
    view(
        buffer,
        person=person,
        at=at,
        topics=["lead-scoring"],
        industries=["banking"],
        referrer="news.example",
        utm={"utm_campaign": "q4", "utm_source": ""},
        visit=2,
    )
    assert page_views_flush(buffer=buffer) == {"written": 1, "skipped": 0, "people": 1, "became MQL": 0}
    interaction = Interaction.objects.get(person=person)
    assert (interaction.type, interaction.object_type, interaction.object_id) == ("page_view", "page", "pricing")
    assert interaction.object_label == "Simple pricing" and interaction.occurred_at == at
    assert interaction.object_topics == ",lead-scoring,"
    assert interaction.properties == {
        "path": "/pricing/",
        "page_id": 7,
        "visit": 2,
        "referrer": "news.example",
        "utm_campaign": "q4",
        "industries": ["banking"],
    }
    assert len(buffer) == 0


def test_a_views_object_id_is_its_slug_and_the_home_page_is_home():
    buffer, person = LocalBuffer(), PersonFactory()
    for path in ("/", "/solutions/pricing/", "/about"):
        view(buffer, person=person, path=path)
    page_views_flush(buffer=buffer)
    slugs = set(Interaction.objects.filter(person=person).values_list("object_id", flat=True))
    assert slugs == {"home", "pricing", "about"}
    now = timezone.now()
    for condition in (condition_parse("visited_page", ["home"]), condition_parse("visited_url", ["/"])):
        assert {row["person_id"] for row in condition_people(condition, now=now)} == {person.pk}


def test_a_batch_written_twice_stores_each_view_once():
    class DiesBeforeTrimming(LocalBuffer):
        """A worker killed after writing the batch and before taking it off the buffer."""

        died = False

        def drop(self, count):
            if not self.died:
                self.died = True
                raise SystemExit("killed")
            super().drop(count)

    buffer, person = DiesBeforeTrimming(), PersonFactory()
    for n in range(5):
        view(buffer, person=person, path=f"/page-{n}/")
    with pytest.raises(SystemExit):
        page_views_flush(buffer=buffer)
    assert Interaction.objects.count() == 5 and len(buffer) == 5  # written, still buffered
    assert page_views_flush(buffer=buffer)["written"] == 5  # taken up again: the same five
    assert Interaction.objects.count() == 5 and len(buffer) == 0
    assert page_views_flush(buffer=buffer)["written"] == 0


def test_an_anonymous_story_joins_the_person_with_its_original_times():
    buffer, person = LocalBuffer(), PersonFactory()
    times = [timezone.now() - timedelta(days=days) for days in (9, 3, 1)]
    for n, at in enumerate(times):
        view(buffer, path=f"/read-{n}/", at=at)
    page_views_flush(buffer=buffer)
    assert Interaction.objects.filter(visitor_id=VISITOR, person=None).count() == 3

    visitor_link(person, VISITOR)  # identified: a form fill, a tracked link, a registration
    view(buffer, path="/after/")  # buffered by a tab that did not know yet
    page_views_flush(buffer=buffer)
    joined = Interaction.objects.filter(person=person).order_by("occurred_at")
    assert [i.object_id for i in joined] == ["read-0", "read-1", "read-2", "after"]
    assert [i.occurred_at for i in joined][:3] == times


def test_views_of_a_person_erased_meanwhile_stay_the_visitors():
    buffer, person = LocalBuffer(), PersonFactory()
    view(buffer, person=person)
    person.delete()
    assert page_views_flush(buffer=buffer)["written"] == 1
    assert Interaction.objects.get().person is None


@pytest.mark.parametrize(
    "entry",
    [
        "not json",
        "[]",
        "null",
        json.dumps({"e": "x", "v": VISITOR}),  # no time
        json.dumps({"e": "", "v": VISITOR, "at": AT}),  # no event id
        json.dumps({"e": "y", "v": "<script>", "at": AT}),  # nobody
    ],
)
def test_a_damaged_entry_is_skipped_and_the_rest_written(entry):
    buffer = LocalBuffer()
    view(buffer)
    buffer.push(entry)
    view(buffer, path="/after/")
    assert page_views_flush(buffer=buffer) == {"written": 2, "skipped": 1, "people": 0, "became MQL": 0}
    assert len(buffer) == 0


def test_pricing_views_make_an_mql_but_never_of_junk(django_user_model):
    ScoringRule.objects.create(
        name="Pricing page", kind="interest", interaction_type="page_view", object_id="pricing", points=20
    )
    settings = LeadStoreSettings.load()
    settings.mql_min_total = 35
    settings.save()
    SalesRep.objects.create(user=django_user_model.objects.create_user("anna", "anna@northwind.example", "pw"))
    buffer, person, tester = LocalBuffer(), PersonFactory(), PersonFactory(is_test=True)
    for who in (person, tester):
        view(buffer, person=who, path="/pricing/")
        view(buffer, person=who, path="/about/")  # no points: not the pricing page
    assert page_views_flush(buffer=buffer)["became MQL"] == 0  # 20 points: not yet
    for who in (person, tester):
        view(buffer, person=who, path="/pricing/")
    assert page_views_flush(buffer=buffer)["became MQL"] == 1
    person.refresh_from_db()
    tester.refresh_from_db()
    assert (person.interest_score, person.stage) == (40, "mql") and person.owner is not None
    assert (tester.interest_score, tester.stage) == (40, "lead")  # recorded and scored, never handed over
    assert CrmDelivery.objects.filter(person=person).count() == 1 and not CrmDelivery.objects.filter(person=tester)


def test_served_pages_are_buffered_and_the_queued_flush_writes_them(home_page):
    """Through HTTP: an identified browser's pages (the second from the output cache) reach the lead
    store; a crawler's do not."""
    from personalization.services.identification import tracked_link_token

    home_page.save_revision().publish()  # a page with a live revision is kept in the output cache
    person = PersonFactory()
    browser = Browser()
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")  # identified by a tracked link
    browser.get("/")  # the first render also makes the site's settings (a content change)
    browser.get("/")  # rendered, and kept in the output cache
    cached = browser.get("/")
    assert cached.wsgi_request.pz_page_view_recorded  # answered from the output cache, before Wagtail
    crawler = Browser("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    crawler.get("/")
    with committed():
        page_views_flush()
    views = Interaction.objects.filter(type="page_view")
    # The tracked link answers with a redirect to the clean URL (no page); then three pages, the last
    # from the output cache.
    assert views.filter(person=person).count() == 3
    assert views.count() == 3  # nothing from the crawler


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379")
def test_the_redis_buffer_is_shared_and_trimmed_only_after_writing(monkeypatch):
    import redis

    monkeypatch.setattr(behaviour_buffer, "REDIS_LIST", f"signalpage:test:page-views:{uuid.uuid4().hex}")
    client = redis.Redis(host="127.0.0.1", port=6379, db=15)
    web, worker = RedisBuffer(client), RedisBuffer(redis.Redis(host="127.0.0.1", port=6379, db=15))
    person = PersonFactory()
    try:
        for n in range(3):
            view(web, person=person, path=f"/p{n}/")
        assert len(worker) == 3  # another process sees what the web process buffered
        assert page_views_flush(buffer=worker, batch=2)["written"] == 3  # two batches
        assert len(worker) == 0 and Interaction.objects.filter(person=person).count() == 3
    finally:
        client.delete(behaviour_buffer.REDIS_LIST)


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379")
def test_the_relay_pushes_served_views_in_one_go_off_the_request_path(monkeypatch):
    import redis

    monkeypatch.setattr(behaviour_buffer, "REDIS_LIST", f"signalpage:test:page-views:{uuid.uuid4().hex}")
    client = redis.Redis(host="127.0.0.1", port=6379, db=15)
    shared = RedisBuffer(client)
    relay = behaviour_buffer.Relay(target=lambda: shared)
    person = PersonFactory()
    try:
        for n in range(3):
            view(relay, person=person, path=f"/p{n}/")
        assert relay.drain() == 3 and relay.drain() == 0  # one push for all three, then nothing left
        # Enough views wake the relay's thread at once, without waiting for its tick.
        for n in range(behaviour_buffer.RELAY_AT):
            view(relay, person=person, path=f"/q{n}/")
        deadline = time.monotonic() + 5
        while len(shared) < 3 + behaviour_buffer.RELAY_AT and time.monotonic() < deadline:
            relay.wake.wait(0.01)
        assert len(shared) == 3 + behaviour_buffer.RELAY_AT
        assert page_views_flush(buffer=shared)["written"] == 3 + behaviour_buffer.RELAY_AT
        paths = list(
            Interaction.objects.filter(person=person).order_by("occurred_at", "pk").values_list("object_id", flat=True)
        )
        assert len(paths) == 3 + behaviour_buffer.RELAY_AT
    finally:
        client.delete(behaviour_buffer.REDIS_LIST)


def test_the_relay_keeps_views_in_order_while_redis_is_away(caplog):
    class Flaky(LocalBuffer):
        down = True

        def push_many(self, records):
            if self.down:
                raise ConnectionError("Redis is down")
            super().push_many(records)

    shared = Flaky()
    relay = behaviour_buffer.Relay(target=lambda: shared)
    for n in range(3):
        relay.items.append(f"record {n}")
    assert relay.drain() == 0 and len(relay.items) == 3  # nothing lost
    assert relay.drain() == 0 and caplog.text.count("could not reach the shared buffer") == 1  # logged once
    relay.items.append("record 3")
    shared.down = False
    assert relay.drain() == 4
    assert shared.peek(10) == [f"record {n}" for n in range(4)]


def test_a_buffer_that_cannot_be_reached_loses_the_view_not_the_page(caplog):
    class Unreachable(LocalBuffer):
        def push(self, record):
            raise ConnectionError("Redis is down")

    view(Unreachable(), person=PersonFactory())  # no exception reaches the page being served
    assert "could not be buffered" in caplog.text
    assert not Interaction.objects.exists()


def test_anonymous_behaviour_past_its_retention_is_purged_and_a_persons_never(settings):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.ANONYMOUS_BEHAVIOUR_RETENTION_DAYS = 90
    buffer, person = LocalBuffer(), PersonFactory()
    now = timezone.now()
    for days in (200, 91, 89, 1):
        view(buffer, path=f"/anonymous-{days}/", at=now - timedelta(days=days))
        view(buffer, person=person, path=f"/known-{days}/", at=now - timedelta(days=days))
    view(buffer, visitor="v_" + "b" * 24, path="/joined-later/", at=now - timedelta(days=120))
    page_views_flush(buffer=buffer)
    visitor_link(person, "v_" + "b" * 24)  # identified after the retention had passed: theirs now

    out = StringIO()
    call_command("purge_anonymous_behaviour", stdout=out)
    assert out.getvalue().strip() == "Deleted 2 anonymous interactions older than 90 days."
    left = set(Interaction.objects.values_list("object_id", flat=True))
    assert left == {"anonymous-89", "anonymous-1", "joined-later"} | {f"known-{d}" for d in (200, 91, 89, 1)}

    call_command("purge_anonymous_behaviour", "--days", "30", stdout=(out := StringIO()))
    assert "Deleted 1 anonymous" in out.getvalue() and "anonymous-89" not in set(
        Interaction.objects.values_list("object_id", flat=True)
    )
    with pytest.raises(CommandError, match="days: keep anonymous behaviour at least one day"):
        call_command("purge_anonymous_behaviour", "--days", "0")


def test_with_recording_off_pages_personalise_but_no_view_is_kept(home_page, settings):
    from personalization.services.identification import tracked_link_token

    settings.BEHAVIOUR_RECORDING = False
    home_page.save_revision().publish()
    person = PersonFactory()
    browser = Browser()
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")
    assert browser.get("/").status_code == 200
    with committed():
        page_views_flush()
    assert not Interaction.objects.filter(type="page_view").exists()


def test_personalisation_is_told_only_about_people_whose_score_a_batch_of_views_moved():
    """The writer rescores every reader every few seconds; naming them all would make each one's next
    page reload their facts. A custom event is a fact segments read, so its people are always named."""
    from leads.services import people_rescore
    from leads.signals import people_changed

    ScoringRule.objects.create(
        name="Pricing page", kind="interest", interaction_type="page_view", object_id="pricing", points=20
    )
    ScoringRule.objects.create(name="Trial", kind="interest", interaction_type="custom_event", points=5)
    reader, pricing = PersonFactory(), PersonFactory()
    people_rescore([reader.pk, pricing.pk])  # graded once: from here only what the views do moves a score
    named = []

    def told(sender, person_ids, **kwargs):
        named.extend(person_ids or ())

    people_changed.connect(told)
    try:
        buffer = LocalBuffer()
        view(buffer, person=reader, path="/about/")
        view(buffer, person=pricing, path="/pricing/")
        with committed():
            page_views_flush(buffer=buffer)
        assert named == [pricing.pk]  # the reader's score did not move
        named.clear()
        behaviour.custom_event_buffer(
            visitor_id=VISITOR, person_id=reader.pk, name="newsletter_read", properties={}, buffer=buffer
        )
        view(buffer, person=pricing, path="/about/")
        with committed():
            page_views_flush(buffer=buffer)
        assert sorted(named) == sorted([reader.pk, pricing.pk])
    finally:
        people_changed.disconnect(told)


def test_machine_opens_count_for_no_condition_and_human_ones_do():
    from leads.behaviour_conditions import person_behaviour

    machine, human = PersonFactory(), PersonFactory()
    now = timezone.now()
    for person, is_machine in ((machine, True), (human, False)):
        Interaction.objects.create(
            person=person, type="email_open", occurred_at=now, object_id="7", properties={"machine": is_machine}
        )
    opened = condition_parse("opened_email", ["7"])
    assert {row["person_id"] for row in condition_people(opened, now=now)} == {human.pk}
    assert "email_open" not in person_behaviour(machine.pk, now=now)  # what the browser's rules read agrees
    assert len(person_behaviour(human.pk, now=now)["email_open"]) == 1
