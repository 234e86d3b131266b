"""Behaviour rules in segments: what someone did, at least N times, in the last D days.

Parsing (errors name the field), the per-request check in memory and the audience count in SQL agreeing
on the same people (built at random, several seeds), windows at their boundary, counting, "not", the
cost of a warm request, and the issue's case through HTTP: "viewed the pricing page twice in the last
7 days" matches exactly the people who did, and personalises their next page.
"""

import json
import random
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from leads.behaviour import discard_buffered, page_views_flush
from leads.behaviour_conditions import micros
from leads.models import Interaction, PersonTag, StageTransition, Tag
from leads.selectors import person_facts
from personalization.behaviour import RECENT_VIEWS, behaviour_load, view_recorded
from personalization.models import SegmentRule
from personalization.rule_queries import people_matching
from personalization.rules import FACTS, FACTS_BY_CODE, compile_rule, parse_rule
from personalization.services import VisitorContext, tracked_link_token
from personalization.state import Facts, VisitorState
from tests.factories import PersonFactory, SegmentFactory, StandardPageFactory
from tests.personalization.conftest import DESKTOP_UA, Browser, committed, personalised_hero

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 12, 1, 10, 30))
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _empty_buffer():
    discard_buffered()
    yield
    discard_buffered()


def rule(fact, value="", times=None, days=None, negate=False):
    return parse_rule(fact, "any", value, negate, times, days)


def known_state(person, now=NOW, views=()):
    """A known person's state as a request reads it: their facts, then their behaviour (one query)."""
    state = VisitorState(
        visitor_id="v_" + "k" * 24,
        first_seen_at=now,
        last_seen_at=now,
        person_id=person.pk,
        person=person_facts(person.pk),
        person_loaded=True,
        in_database=True,
        views=tuple(views),
    )
    behaviour_load(state, now)
    return state


def in_memory(parsed, people, now=NOW) -> set:
    predicate = compile_rule(parsed)
    return {person.pk for person in people if predicate(Facts(known_state(person, now)), now)}


def in_sql(parsed_rules, match="all", now=NOW) -> set:
    return set(people_matching(list(parsed_rules), match, now=now).values_list("pk", flat=True))


# --- Parsing -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fact", "value", "times", "days", "field", "message"),
    [
        ("visited_url", "pricing", None, None, "value", "is not a path"),
        ("visited_url", "", None, None, "value", "Enter at least one value"),
        ("visited_page", " , ", None, None, "value", "Enter at least one value"),
        ("visited_page", "pricing", "two", None, "times", "how many times"),
        ("visited_page", "pricing", "0", None, "times", "from 1 to 1,000"),
        ("visited_page", "pricing", "1001", None, "times", "from 1 to 1,000"),
        ("visited_page", "pricing", "-1", None, "times", "how many times"),
        ("visited_page", "pricing", None, "0", "days", "a number of days"),
        ("visited_page", "pricing", None, "3651", "days", "a number of days"),
        ("visited_page", "pricing", None, "7.5", "days", "a number of days"),
        ("visited_page", "pricing", None, "９", "days", "a number of days"),  # a full-width digit
        ("visited_page", "pricing", None, "9" * 5000, "days", "a number of days"),
        ("has_tag", "vip", "2", None, "times", "happens once per person"),
        ("reached_stage", "king", None, None, "value", "is not a stage"),
        ("reached_stage", "", None, None, "value", "Enter at least one value"),
        ("downloaded", "topic:", None, None, "value", "topic:<slug>"),
        ("downloaded", "topic:<script>", None, None, "value", "topic:<slug>"),
        ("downloaded", ",".join(str(n) for n in range(101)), None, None, "value", "At most 100 values"),
        ("did_custom_event", "x" * 501, None, None, "value", "too long"),
        ("utm_campaign", "spring", "2", None, "times", "not something done"),
        ("grade", "A1", None, "7", "days", "no time window"),
    ],
)
def test_bad_behaviour_rules_are_refused_naming_the_field(fact, value, times, days, field, message):
    operator = "any" if FACTS_BY_CODE[fact].kind == "behaviour" else "is"
    with pytest.raises(ValidationError) as error:
        parse_rule(fact, operator, value, False, times, days)
    assert message in " ".join(error.value.message_dict[field])


def test_a_behaviour_fact_takes_only_includes_any_of():
    with pytest.raises(ValidationError) as error:
        parse_rule("visited_page", "is", "pricing")
    assert "can be tested with: includes any of" in error.value.message_dict["operator"][0]


def test_values_are_read_the_way_pages_are_served():
    typed = "/pricing, https://www.example.com/events/summit?x=1, /docs/a.PDF, /blog/*, /Team/"
    condition = rule("visited_url", typed).condition
    # A page's path ends in a slash; a file keeps its name; capitals count, as in the address bar.
    assert condition.paths == ("/pricing/", "/events/summit/", "/docs/a.PDF", "/blog/*", "/Team/")
    condition = rule("downloaded", "11, topic:AI-Automation, 11", "3", "30").condition
    assert (condition.ids, condition.topics, condition.times, condition.days) == (("11",), ("ai-automation",), 3, 30)
    assert str(condition) == "Downloaded content: 11, topic:ai-automation, 3+ times in the last 30 days"


def test_saved_rules_keep_their_meaning(home_page):
    """Rules saved before times and days existed (downloaded, registered for event) read as once, ever."""
    segment = SegmentFactory(rules=[("downloaded", "any", "11"), ("registered_event", "any", "")])
    for saved in SegmentRule.objects.filter(segment=segment):
        assert (saved.times, saved.days) == (None, None)
        assert (saved.parsed().condition.times, saved.parsed().condition.days) == (1, None)
    saved.days, saved.times = 7, 2
    saved.full_clean()
    assert str(saved) == "Registered for event includes any of, 2+ times, in the last 7 days"
    saved.fact, saved.operator, saved.value = "device", "is", "mobile"
    with pytest.raises(ValidationError) as error:
        saved.full_clean()
    assert set(error.value.message_dict) == {"times"}


# --- Memory and SQL agree ----------------------------------------------------------------------------
PAGES = [
    ("/pricing/", ""),
    ("/whitepapers/ai-playbook/", ",ai,"),
    ("/whitepapers/data-guide/", ",data,"),
    ("/events/summit/", ",events,"),
    ("/", ""),
]
OBJECTS = {
    "content_download": [("11", ",ai,"), ("12", ",data,")],
    "form_submit": [("5", "")],
    "contact_sales": [("6", "")],
    "event_registered": [("7", ",events,ai,"), ("8", "")],
    "event_attended": [("7", ",events,ai,")],
    "custom_event": [("trial_started", ""), ("pricing_calculator_used", "")],
    "email_open": [("nov-news", ",product-a,"), ("dec-news", ",product-b,")],
    "email_click": [("nov-news", ",product-a,"), ("dec-news", ",product-b,")],
}
CONDITIONS = [
    ("visited_page", "pricing", None, None),
    ("visited_page", "pricing", "2", "7"),
    ("visited_page", "topic:ai", None, "30"),
    ("visited_url", "/pricing/", "2", "7"),
    ("visited_url", "/whitepapers/*", None, "14"),
    ("visited_url", "/pricing", "3", None),
    ("visited_url", "/*/ai-playbook/, /Pricing/", None, "21"),
    ("visited_url", "https://example.com/events/summit", None, None),
    ("downloaded", "", None, None),
    ("downloaded", "11", None, "30"),
    ("downloaded", "topic:data", "2", None),
    ("submitted_form", "", None, None),
    ("submitted_form", "6", None, "60"),
    ("registered_event", "7", None, None),
    ("registered_event", "", "2", None),
    ("attended_event", "", None, None),
    ("attended_event", "topic:ai", None, "90"),
    ("did_custom_event", "trial_started", None, "7"),
    ("did_custom_event", "trial_started, pricing_calculator_used", "2", "30"),
    ("opened_email", "topic:product-a", None, "7"),
    ("opened_email", "", "3", None),
    ("clicked_email", "dec-news", None, None),
    ("has_tag", "vip", None, None),
    ("has_tag", "", None, "30"),
    ("reached_stage", "mql", None, "30"),
    ("reached_stage", "mql,sql", "2", None),
]


def test_every_behaviour_fact_has_a_case():
    assert {fact.code for fact in FACTS if fact.group == "behaviour"} == {case[0] for case in CONDITIONS}


def random_people(seed: int, count: int = 14):
    """People who did things at random moments, a few exactly at a window's edge; and an anonymous
    visitor's interactions, which count for nobody."""
    rng = random.Random(seed)
    tags = [Tag.objects.create(name=name, slug=name) for name in ("vip", "webinar-follow-up")]
    people, interactions = [], []

    def when(days_back: int):
        moment = NOW - timedelta(seconds=rng.randint(0, days_back * 86400))
        edge = rng.random()
        if edge < 0.1:
            return NOW - 7 * DAY  # on the edge of a 7-day window: inside
        if edge < 0.2:
            return NOW - 7 * DAY - timedelta(microseconds=1)  # just outside it
        return moment

    for n in range(count):
        person = PersonFactory(email=f"p{seed}-{n}@random.example")
        people.append(person)
        for _ in range(rng.randint(0, 7)):
            path, topics = rng.choice(PAGES)
            interactions.append(
                Interaction(
                    type="page_view",
                    person=person,
                    occurred_at=when(40),
                    object_type="page",
                    object_id=path.strip("/").rsplit("/", 1)[-1],
                    object_topics=topics,
                    properties={"path": path},
                )
            )
        for kind, objects in OBJECTS.items():
            for _ in range(rng.choice((0, 0, 1, 2, 3))):
                object_id, topics = rng.choice(objects)
                interactions.append(
                    Interaction(
                        type=kind, person=person, occurred_at=when(120), object_id=object_id, object_topics=topics
                    )
                )
        for tag in tags:
            if rng.random() < 0.4:
                PersonTag.objects.create(person=person, tag=tag, added_at=when(60))
        for _ in range(rng.choice((0, 1, 2))):
            StageTransition.objects.create(
                person=person, to_stage=rng.choice(("mql", "sql")), reason_type="rule", occurred_at=when(60)
            )
    for path, topics in PAGES:  # an anonymous visitor's views: nobody's
        interactions.append(
            Interaction(
                type="page_view",
                visitor_id="v_" + "a" * 24,
                occurred_at=NOW - DAY,
                object_id=path.strip("/").rsplit("/", 1)[-1],
                object_topics=topics,
                properties={"path": path},
            )
        )
    Interaction.objects.bulk_create(interactions)
    return people


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_memory_and_sql_agree_on_every_behaviour_condition(seed):
    people = random_people(seed)
    everyone = {person.pk for person in people}
    matched_somebody = 0
    for fact, value, times, days in CONDITIONS:
        for negate in (False, True):
            parsed = rule(fact, value, times, days, negate)
            expected = in_memory(parsed, people)
            assert in_sql([parsed]) == expected, (fact, value, times, days, negate)
        matched_somebody += bool(expected) and expected != everyone
    # The data is rich enough to tell conditions apart: most split the people.
    assert matched_somebody >= len(CONDITIONS) // 2


@pytest.mark.parametrize("seed", [4, 5])
def test_all_and_any_combine_behaviour_with_other_facts(seed):
    people = random_people(seed)
    rng = random.Random(seed)
    for _ in range(12):
        picked = [rule(*rng.choice(CONDITIONS), negate=rng.random() < 0.3) for _ in range(rng.randint(2, 3))]
        if rng.random() < 0.5:
            picked.append(parse_rule("known", "true", ""))
        sets = [in_memory(parsed, people) for parsed in picked]
        assert in_sql(picked, "all") == set.intersection(*sets)
        assert in_sql(picked, "any") == set.union(*sets)


# --- Windows, counting, the browser's own views ----------------------------------------------------
def page_view(person, path, at, visitor_id=""):
    return Interaction.objects.create(
        type="page_view",
        person=person,
        visitor_id=visitor_id,
        occurred_at=at,
        object_id=path.strip("/").rsplit("/", 1)[-1],
        properties={"path": path},
    )


def test_a_window_includes_its_first_moment_and_not_one_microsecond_before():
    inside, outside = PersonFactory(), PersonFactory()
    page_view(inside, "/pricing/", NOW - 7 * DAY)
    page_view(outside, "/pricing/", NOW - 7 * DAY - timedelta(microseconds=1))
    parsed = rule("visited_url", "/pricing/", days="7")
    assert in_memory(parsed, [inside, outside]) == in_sql([parsed]) == {inside.pk}
    # A day later both are outside; "ever" has both.
    assert in_memory(parsed, [inside, outside], now=NOW + DAY) == in_sql([parsed], now=NOW + DAY) == set()
    assert in_sql([rule("visited_url", "/pricing/")]) == {inside.pk, outside.pk}


def test_n_times_counts_matching_events_only():
    once, twice, elsewhere = PersonFactory(), PersonFactory(), PersonFactory()
    page_view(once, "/pricing/", NOW - DAY)
    page_view(twice, "/pricing/", NOW - DAY)
    page_view(twice, "/pricing/", NOW - 2 * DAY)
    for days_back in (1, 2, 3):
        page_view(elsewhere, "/about/", NOW - days_back * DAY)
    page_view(elsewhere, "/pricing/", NOW - DAY)
    parsed = rule("visited_page", "pricing", "2", "7")
    people = [once, twice, elsewhere]
    assert in_memory(parsed, people) == in_sql([parsed]) == {twice.pk}
    negated = rule("visited_page", "pricing", "2", "7", negate=True)
    assert in_memory(negated, people) == in_sql([negated]) == {once.pk, elsewhere.pk}


def test_a_view_in_the_browser_and_in_the_database_counts_once():
    person = PersonFactory()
    moment = NOW - DAY
    page_view(person, "/pricing/", moment)  # written by the flush
    state = VisitorState(visitor_id="v_" + "k" * 24, first_seen_at=NOW, last_seen_at=NOW, in_database=True)
    view_recorded(state, moment, "/pricing/", ())  # and remembered by the browser that served it
    state.person_id, state.person = person.pk, person_facts(person.pk)
    assert behaviour_load(state, NOW)
    assert state.views == ()  # the stored copy is the person's now
    twice = compile_rule(rule("visited_url", "/pricing/", "2"))
    assert not twice(Facts(state), NOW)
    view_recorded(state, NOW, "/pricing/", ())  # a new view, not yet flushed
    assert twice(Facts(state), NOW)


def test_an_anonymous_browser_gets_its_stored_views_back_and_keeps_the_newest(settings):
    visitor_id = "v_" + "b" * 24
    for days_back in range(3):
        page_view(None, "/pricing/", NOW - days_back * DAY - timedelta(hours=1), visitor_id=visitor_id)
    page_view(None, "/pricing/", NOW - 100 * DAY, visitor_id=visitor_id)  # past the horizon
    state = VisitorState(visitor_id=visitor_id, first_seen_at=NOW, last_seen_at=NOW, in_database=True)
    view_recorded(state, NOW, "/pricing/", ["ai"])
    assert behaviour_load(state, NOW) and not behaviour_load(state, NOW)  # read once
    assert [view[0] for view in state.views] == sorted(view[0] for view in state.views)
    assert len(state.views) == 4 and state.views[-1] == (micros(NOW), "pricing", "/pricing/", ",ai,")
    facts = Facts(state)
    assert compile_rule(rule("visited_url", "/pricing/", "4", "7"))(facts, NOW)
    assert not compile_rule(rule("visited_url", "/pricing/", "5"))(facts, NOW)
    assert compile_rule(rule("visited_page", "topic:ai", None, "1"))(facts, NOW)
    for n in range(RECENT_VIEWS + 20):
        view_recorded(state, NOW + timedelta(seconds=n), f"/p{n}/", ())
    assert len(state.views) == RECENT_VIEWS and state.views[-1][1] == f"p{RECENT_VIEWS + 19}"


def test_anonymous_visitors_did_nothing_a_person_did():
    facts = Facts(VisitorState(visitor_id="v_" + "c" * 24, first_seen_at=NOW, last_seen_at=NOW))
    for fact, value, times, days in CONDITIONS:
        if fact not in ("visited_page", "visited_url"):
            assert compile_rule(rule(fact, value, times, days))(facts, NOW) is False


# --- Through HTTP: the case -----------------------------------------------------------------
@pytest.fixture
def pricing_site(home_page):
    """The home page with a hero for "viewed the pricing page twice in the last 7 days", and the page."""
    segment = SegmentFactory(name="Pricing twice this week", priority=40, rules=[("visited_url", "any", "/pricing/")])
    SegmentRule.objects.filter(segment=segment).update(times=2, days=7)
    segment.save()  # a new segment version
    home_page.hero = json.dumps(personalised_hero("Default hero", [(segment, "Pricing hero")]))
    home_page.save_revision().publish()
    StandardPageFactory(parent=home_page, title="Pricing", slug="pricing").save_revision().publish()
    return segment


def hero_of(response) -> str:
    html = response.content.decode()
    return "Pricing hero" if "Pricing hero" in html else "Default hero" if "Default hero" in html else "?"


def identified_browser(person):
    browser = Browser()
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")
    return browser


def test_viewed_pricing_twice_in_7_days_matches_exactly_who_did_and_personalises_their_next_page(pricing_site):
    ann, bob, cem = PersonFactory(first_name="Ann"), PersonFactory(first_name="Bob"), PersonFactory(first_name="Cem")
    with freeze_time(NOW - 9 * DAY):  # Cem read it twice, but nine days ago
        old = identified_browser(cem)
        old.get("/pricing/")
        old.get("/pricing/")
        with committed():
            page_views_flush()
    with freeze_time(NOW - DAY):
        annes, bobs = identified_browser(ann), identified_browser(bob)
        assert hero_of(annes.get("/")) == "Default hero"
        annes.get("/pricing/")
        assert hero_of(annes.get("/")) == "Default hero"  # once is not twice
        annes.get("/pricing/")
        assert hero_of(annes.get("/")) == "Pricing hero"  # the next page, at once: no flush needed
        bobs.get("/pricing/")
        assert hero_of(bobs.get("/")) == "Default hero"
        with committed():
            page_views_flush()
    with freeze_time(NOW):
        parsed = SegmentRule.objects.get(segment=pricing_site).parsed()
        assert in_sql([parsed], now=timezone.now()) == {ann.pk}  # exactly who did
        assert hero_of(annes.get("/")) == "Pricing hero"
        # Another browser of Ann's: what she did reaches it through the lead store.
        assert hero_of(identified_browser(ann).get("/")) == "Pricing hero"
        assert hero_of(old.get("/")) == "Default hero"
    with freeze_time(NOW + 7 * DAY):  # a week on, the views have left the window
        assert hero_of(annes.get("/")) == "Default hero"
        assert in_sql([parsed], now=timezone.now()) == set()


def test_an_anonymous_visitor_who_reads_pricing_twice_is_personalised_too(pricing_site):
    browser = Browser()
    browser.get("/pricing/")
    browser.get("/pricing/")
    assert hero_of(browser.get("/")) == "Pricing hero"


# --- What it costs ------------------------------------------------------------------------------------
def test_a_warm_request_costs_no_query_with_behaviour_segments(pricing_site, settings, django_assert_num_queries):
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 3600  # statistics are written every few seconds, not per page
    SegmentFactory(name="Tagged", rules=[("has_tag", "any", "vip"), ("reached_stage", "any", "mql")], match="any")
    person = PersonFactory()
    tag = Tag.objects.create(name="VIP", slug="vip")
    PersonTag.objects.create(person=person, tag=tag, added_at=timezone.now())
    browser = identified_browser(person)
    browser.get("/pricing/")
    browser.get("/pricing/")
    with committed():
        page_views_flush()  # as the background task does within seconds
    request = browser.get("/").wsgi_request
    from django.core.cache import cache

    def resolve():
        context = VisitorContext(request)
        return context.segment_ids

    resolve()
    with django_assert_num_queries(0):
        ids = resolve()
    assert pricing_site.pk in ids and len(ids) == 2
    # Cold (the state left the cache): the visitor row, the person's facts, the person's behaviour.
    cache.delete(f"pz:v:{request.COOKIES['sp_vid']}")
    with django_assert_num_queries(3):
        assert resolve() == ids
    # And the page itself, warm, from the output cache: no query.
    browser.get("/")  # (the state back in the cache)
    with django_assert_num_queries(0):
        assert hero_of(browser.get("/")) == "Pricing hero"


def test_an_anonymous_cold_request_reads_its_views_in_one_more_query(pricing_site, django_assert_num_queries):
    from django.core.cache import cache

    browser = Browser()
    browser.get("/pricing/")
    browser.get("/pricing/")
    with committed():
        page_views_flush()
    request = browser.get("/").wsgi_request
    cache.delete(f"pz:v:{request.COOKIES['sp_vid']}")
    with django_assert_num_queries(2):  # the visitor row, its page views
        ids = VisitorContext(request).segment_ids
    assert pricing_site.pk in ids


def test_the_audience_counts_and_samples_the_best_scored_reading_behaviour_once(django_assert_max_num_queries):
    from personalization.selectors import segment_audience

    readers = [PersonFactory(fit_score=fit, interest_score=interest) for fit, interest in [(10, 5), (90, 1), (90, 7)]]
    for person in readers:
        page_view(person, "/pricing/", timezone.now() - DAY)
    PersonFactory(fit_score=99)  # read nothing
    typed = [{"fact": "visited_url", "operator": "any", "value": "/pricing/", "days": "7"}]
    with django_assert_max_num_queries(2):  # the count with the best ids, then those people
        audience = segment_audience(typed, "all", sample_size=2)
    assert audience.count == 3 and [p.pk for p in audience.sample] == [readers[2].pk, readers[1].pk]
    with django_assert_max_num_queries(1):
        assert segment_audience([{**typed[0], "value": "/nowhere/"}], "all").count == 0


def test_a_headless_front_ends_page_views_personalise_the_visitors_next_page_at_once(pricing_site):
    browser = Browser()
    assert hero_of(browser.get("/")) == "Default hero"
    visitor_id = browser.cookies["sp_vid"].value
    for _ in range(2):  # the front end reports two views of its own pricing page
        response = browser.post(
            "/api/v1/track",
            data=json.dumps({"visitor_id": visitor_id, "events": [{"type": "page_view", "path": "/pricing/"}]}),
            content_type="application/json",
            HTTP_USER_AGENT=DESKTOP_UA,
        )
        assert response.status_code == 202 and response.json()["recorded"] == 1
    assert hero_of(browser.get("/")) == "Pricing hero"  # no flush needed, as for served pages


def test_an_email_open_counts_unless_a_machine_made_it_whatever_the_properties_say():
    """Opens recorded without the `machine` key (an import, an older tracker, a webhook) are people's
    opens; only an open marked as a machine's is left out, in memory and in SQL alike."""
    bare, human, machine = PersonFactory(), PersonFactory(), PersonFactory()
    for person, properties in ((bare, {}), (human, {"machine": False}), (machine, {"machine": True})):
        Interaction.objects.create(
            type="email_open", person=person, occurred_at=NOW - DAY, object_id="42", properties=properties
        )
    parsed = rule("opened_email", "42", days="30")
    people = [bare, human, machine]
    assert in_memory(parsed, people) == in_sql([parsed]) == {bare.pk, human.pk}
    # "Did not open": the machine's person did not, the other two did.
    did_not = in_sql([rule("opened_email", "42", days="30", negate=True)])
    assert machine.pk in did_not and not did_not & {bare.pk, human.pk}
