"""Tags on people (issue 16, item 6): the service, its timeline entries, bulk changes, merges and scoring."""

import threading

import pytest
from django.conf import settings
from django.utils import timezone

from leads.models import Interaction, Person, PersonTag, ScoringRule, Tag
from leads.selectors import people_tags, person_tags
from leads.services import (
    lead_capture,
    people_rescore,
    people_rescore_all,
    person_merge,
    person_rescore,
    score_explanation,
)
from leads.services.bulk import BulkCapture, BulkRow
from leads.services.tags import (
    TagError,
    people_tags_add,
    people_tags_remove,
    person_tags_add,
    person_tags_remove,
    tag_create,
    tag_delete,
    tag_names_parse,
    tag_rename,
    tags_resolve,
)
from tests.factories import PersonFactory
from tests.factories.leads import UserFactory

pytestmark = pytest.mark.django_db


def tag_entries(person, kind="tag_added"):
    return list(Interaction.objects.filter(person=person, type=kind).order_by("pk").values_list("object_id", flat=True))


# --- Names ---------------------------------------------------------------------------------------------


def test_names_are_split_trimmed_and_deduplicated_by_slug():
    assert tag_names_parse(" Webinar follow-up , webinar FOLLOW up,, called-q4 ,") == ["Webinar follow-up", "called-q4"]
    assert tag_names_parse(["a", "A", " b "]) == ["a", "b"]
    assert tag_names_parse("") == [] and tag_names_parse(None) == []


@pytest.mark.parametrize(
    "hostile, words",
    [
        ("x" * 500, "longer than 60"),
        ("<script>alert(1)</script>", "looks like HTML"),
        ("!!! ???", "no letter or digit"),
        ("...", "no letter or digit"),
    ],
)
def test_hostile_names_are_refused_naming_the_field(hostile, words):
    with pytest.raises(TagError) as refused:
        tag_names_parse(f"good, {hostile}", field="add")
    assert words in str(refused.value) and refused.value.field == "add"
    assert not Tag.objects.exists()


def test_too_many_tags_in_one_change_are_refused():
    with pytest.raises(TagError, match="At most 20"):
        tag_names_parse(",".join(f"t{n}" for n in range(21)))


def test_lenient_parsing_leaves_bad_names_out():
    assert tag_names_parse("ok, <b>x</b>, ###, also ok", strict=False) == ["ok", "also ok"]


def test_names_in_other_scripts_make_tags():
    (tag,) = tags_resolve(tag_names_parse("Überweisung 日本"))
    assert tag.slug == "überweisung-日本" and tag.name == "Überweisung 日本"


# --- One person ----------------------------------------------------------------------------------------


def test_adding_a_tag_creates_it_and_puts_it_on_the_timeline_with_who_and_how():
    marketer = UserFactory(username="mark")
    person = PersonFactory()
    change = person_tags_add(person, "Webinar follow-up", by=marketer)
    tag = Tag.objects.get()
    assert (tag.name, tag.slug, tag.created_by) == ("Webinar follow-up", "webinar-follow-up", marketer)
    assert change.rows == [(person.pk, tag.pk)]
    link = PersonTag.objects.get()
    assert (link.person, link.tag, link.source, link.added_by) == (person, tag, "manual", marketer)
    entry = Interaction.objects.get(person=person, type="tag_added")
    assert (entry.object_type, entry.object_id, entry.object_label) == ("tag", "webinar-follow-up", "Webinar follow-up")
    assert entry.properties == {"by": "mark", "by_id": marketer.pk, "source": "manual"}
    assert abs((entry.occurred_at - link.added_at).total_seconds()) < 1
    assert [t.slug for t in person_tags(person)] == ["webinar-follow-up"]


def test_a_no_op_change_writes_nothing():
    person = PersonFactory()
    person_tags_add(person, "vip")
    added_at = PersonTag.objects.get().added_at
    again = person_tags_add(person, "VIP", by=UserFactory())
    assert len(again) == 0
    assert PersonTag.objects.get().added_at == added_at and PersonTag.objects.get().added_by is None
    assert tag_entries(person) == ["vip"]
    assert len(person_tags_remove(person, "not-a-tag")) == 0
    assert len(person_tags_remove(person, "never-had")) == 0 and not tag_entries(person, "tag_removed")


def test_removing_a_tag_is_on_the_timeline_and_removing_twice_writes_once():
    user = UserFactory(username="tina")
    person = PersonFactory()
    person_tags_add(person, "called-q4, vip")
    assert len(person_tags_remove(person, "called-q4", by=user)) == 1
    assert len(person_tags_remove(person, "called-q4", by=user)) == 0
    assert tag_entries(person, "tag_removed") == ["called-q4"]
    entry = Interaction.objects.get(person=person, type="tag_removed")
    assert entry.properties["by"] == "tina" and entry.object_label == "called-q4"
    assert [t.slug for t in person_tags(person)] == ["vip"]
    assert Tag.objects.filter(slug="called-q4").exists()  # the tag stays for others


def test_adding_and_removing_on_one_person_costs_a_handful_of_queries(django_assert_max_num_queries):
    person = PersonFactory()
    tags_resolve(["vip", "called"])
    with django_assert_max_num_queries(8):
        person_tags_add(person, "vip, called")
    with django_assert_max_num_queries(8):
        person_tags_remove(person, "vip, called")


# --- Many people ---------------------------------------------------------------------------------------


def _people(count):
    now = timezone.now()
    Person.objects.bulk_create(
        [Person(email=f"p{n}@bulk.example", email_key=f"p{n}@bulk.example", created_at=now) for n in range(count)],
        batch_size=2000,
    )
    return Person.objects.filter(email_key__endswith="@bulk.example")


def test_bulk_tagging_ten_thousand_people_is_a_few_queries_and_safe_to_run_twice(django_assert_max_num_queries):
    people = _people(10_000)
    already = people.order_by("pk").first()
    person_tags_add(already, "trade-fair")
    tags = tags_resolve(["Trade fair", "berlin-2026"])
    marketer = UserFactory()
    with django_assert_max_num_queries(8):
        change = people_tags_add(people, tags, by=marketer, source="bulk")
    assert len(change) == 20_000 - 1
    assert PersonTag.objects.count() == 20_000
    assert Interaction.objects.filter(type="tag_added").count() == 20_000
    with django_assert_max_num_queries(8):
        assert len(people_tags_add(people, tags, source="bulk")) == 0
    assert Interaction.objects.filter(type="tag_added").count() == 20_000
    with django_assert_max_num_queries(8):
        removed = people_tags_remove(people.filter(email_key__startswith="p1"), tags[:1])
    assert len(removed) == Person.objects.filter(email_key__startswith="p1").count()
    assert Interaction.objects.filter(type="tag_removed").count() == len(removed)


def test_tags_of_many_people_are_read_in_one_query(django_assert_num_queries):
    a, b, c = PersonFactory(), PersonFactory(), PersonFactory()
    person_tags_add(a, "b-tag, a-tag")
    person_tags_add(b, "a-tag")
    with django_assert_num_queries(1):
        tags = people_tags([a.pk, b.pk, c.pk])
    assert {pk: [t.slug for t in found] for pk, found in tags.items()} == {
        a.pk: ["a-tag", "b-tag"],
        b.pk: ["a-tag"],
        c.pk: [],
    }


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bulk_changes_tag_each_person_once():
    people = _people(300)
    (tag,) = tags_resolve(["same-moment"])
    barrier = threading.Barrier(2)
    changed = []

    def run():
        from django.db import connections

        try:
            barrier.wait()
            changed.append(len(people_tags_add(Person.objects.filter(pk__in=people.values("pk")), [tag])))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(changed)[1] + sorted(changed)[0] == 300
    assert PersonTag.objects.count() == 300
    assert Interaction.objects.filter(type="tag_added").count() == 300


# --- The tags themselves -------------------------------------------------------------------------------


def test_create_rename_and_delete_a_tag():
    with pytest.raises(TagError) as empty:
        tag_create("  ")
    assert empty.value.field == "name"
    tag = tag_create("Webinar")
    with pytest.raises(TagError, match="already"):
        tag_create("WEBINAR")
    other = tag_create("Trade fair")
    with pytest.raises(TagError, match="already"):
        tag_rename(other, "webinar")
    tag_rename(tag, "Webinar attendees")
    tag.refresh_from_db()
    assert (tag.name, tag.slug) == ("Webinar attendees", "webinar")  # the slug is its identity
    person = PersonFactory()
    person_tags_add(person, "webinar")
    assert tag_delete(tag, by=UserFactory(username="ada")) == 1
    assert not Tag.objects.filter(slug="webinar").exists() and not PersonTag.objects.exists()
    assert tag_entries(person, "tag_removed") == ["webinar"]


# --- Merges --------------------------------------------------------------------------------------------


def test_a_merge_moves_the_merged_persons_tags_and_keeps_the_survivors():
    keep, merge = PersonFactory(), PersonFactory()
    rep = UserFactory()
    person_tags_add(keep, "shared", by=rep)
    person_tags_add(merge, "shared")
    person_tags_add(merge, "only-merged", source="import")
    log = person_merge(keep=keep, merge=merge)
    links = {link.tag.slug: link for link in PersonTag.objects.select_related("tag")}
    assert set(links) == {"shared", "only-merged"}
    assert all(link.person_id == keep.pk for link in links.values())
    assert links["shared"].added_by == rep and links["only-merged"].source == "import"
    assert log.moved["tags"] == 1


# --- Scoring -------------------------------------------------------------------------------------------


@pytest.fixture
def tag_rule():
    return ScoringRule.objects.create(
        name="Met at the fair", kind="fit", attribute="tags", operator="in", value="Trade fair, vip", points=25
    )


def test_the_has_tag_rule_scores_in_the_per_person_path_and_the_bulk_path_alike(tag_rule):
    ScoringRule.objects.create(
        name="Not called", kind="fit", attribute="tags", operator="not_in", value="called", points=5
    )
    ScoringRule.objects.create(name="Any tag", kind="fit", attribute="tags", operator="is_true", points=1)
    ScoringRule.objects.create(name="Part", kind="fit", attribute="tags", operator="contains", value="fair", points=2)
    fair, called, both, none = (PersonFactory() for _ in range(4))
    person_tags_add(fair, "trade fair")
    person_tags_add(called, "called")
    person_tags_add(both, "VIP, called")
    one_by_one = {p.pk: person_rescore(p).fit_score for p in (fair, called, both, none)}
    people_rescore([fair.pk, called.pk, both.pk, none.pk])
    in_bulk = dict(Person.objects.filter(pk__in=one_by_one).values_list("pk", "fit_score"))
    people_rescore_all()
    nightly = dict(Person.objects.filter(pk__in=one_by_one).values_list("pk", "fit_score"))
    assert (
        one_by_one
        == in_bulk
        == nightly
        == {
            fair.pk: 25 + 5 + 1 + 2,
            called.pk: 1,
            both.pk: 25 + 1,
            none.pk: 5,
        }
    )
    fair.refresh_from_db()
    assert {line.label for line in score_explanation(fair)} == {"Met at the fair", "Not called", "Any tag", "Part"}


def test_a_tag_change_rescores_only_when_a_rule_reads_tags(tag_rule, django_assert_max_num_queries):
    person = PersonFactory()
    person_rescore(person)
    person_tags_add(person, "vip")
    person.refresh_from_db()
    assert person.fit_score == 25
    person_tags_remove(person, "vip")
    person.refresh_from_db()
    assert person.fit_score == 0
    tag_rule.is_active = False
    tag_rule.save()
    scored_at = person.scored_at
    person_tags_add(person, "vip")
    person.refresh_from_db()
    assert person.scored_at == scored_at  # no rule reads tags: no rescore


def test_a_tag_that_lifts_a_person_to_an_mql_grade_makes_them_an_mql(tag_rule):
    from leads.models import LeadStoreSettings

    settings = LeadStoreSettings.load()
    settings.mql_grades, settings.mql_min_total = "A1", 20
    settings.save()
    person = PersonFactory(stage="lead")
    person_rescore(person)
    person_tags_add(person, "vip")
    person.refresh_from_db()
    assert person.stage == "mql"
    assert person.stage_transitions.filter(to_stage="mql").count() == 1


def test_a_tags_rule_refuses_at_least_and_at_most():
    from django.core.exceptions import ValidationError

    rule = ScoringRule(name="x", kind="fit", attribute="tags", operator="gte", value="2", points=1)
    with pytest.raises(ValidationError) as refused:
        rule.clean()
    assert "operator" in refused.value.message_dict


# --- Captures ------------------------------------------------------------------------------------------


def test_a_captured_lead_with_tags_tags_its_person_in_processing():
    lead = lead_capture(
        source="webhook",
        payload={},
        fields={"email": "jane@meridian-bank.example", "tags": "Webinar, <b>bad</b>, vip, VIP"},
    )
    assert lead.status == "processed"
    assert [t.slug for t in person_tags(lead.person)] == ["vip", "webinar"]
    assert set(PersonTag.objects.values_list("source", flat=True)) == {"api"}
    assert sorted(tag_entries(lead.person)) == ["vip", "webinar"]


def test_a_junk_lead_tags_nobody():
    lead = lead_capture(source="form", payload={}, fields={"email": "test@example.com", "tags": "vip"})
    assert lead.verdict == "flagged" and not PersonTag.objects.exists()


def test_an_import_batch_tags_its_rows_people_before_they_are_scored(tag_rule, django_assert_max_num_queries):
    rows = [
        BulkRow(number=n, payload={}, fields={"email": f"row{n}@meridian-bank.example", "tags": "vip, trade-fair"})
        for n in range(1, 201)
    ]
    rows.append(BulkRow(number=201, payload={}, fields={"email": "test@example.com", "tags": "vip"}))
    outcomes = BulkCapture(label="Fair", origin_id="import-1").process(rows)
    assert {o.outcome for o in outcomes[:200]} == {"created"}
    assert PersonTag.objects.count() == 400
    assert set(PersonTag.objects.values_list("source", flat=True)) == {"import"}
    assert set(
        Person.objects.filter(pk__in=[o.person_id for o in outcomes[:200]]).values_list("fit_score", flat=True)
    ) == {25}
    assert not PersonTag.objects.filter(person_id=outcomes[200].person_id).exists()
    assert Interaction.objects.filter(type="tag_added").count() == 400
