"""Tags that come in with leads (issue 16, item 6): an import's Tags column and tags for the whole file,
a form's hidden `tags` field, and a webhook's `tags`. They are put on the person when the lead is
processed (in the worker), before the person is scored, with the source on each tag.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from forms.imports import services
from forms.imports.mapping import guess_mapping
from forms.models import LeadFormField, LeadImport
from leads.models import Interaction, Person, PersonTag, ScoringRule, Tag
from leads.selectors import person_tags
from tests.factories import LeadFormPageFactory
from tests.factories.imports import admin_user, csv_bytes, upload
from tests.forms.conftest import GOOD_ANSWERS, submit
from tests.forms.test_intake import GENERIC, intake_secrets, send  # noqa: F401 (its secrets, autouse)

pytestmark = pytest.mark.django_db


def slugs(person):
    return [tag.slug for tag in person_tags(person)]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.LEAD_IMPORT_ROOT = tmp_path / "private-imports"


def run_import(content: bytes, *, tags=()):
    lead_import = services.import_upload(upload(content, "leads.csv"), name="Trade fair", tags=tags)
    preview = services.import_preview(lead_import)
    return services.import_start(lead_import), preview


# --- Imports -------------------------------------------------------------------------------------------


def test_a_tags_column_is_recognised_by_its_name():
    assert guess_mapping(["Email", "Tags", "Schlagworte", "Labels"])[:2] == ["email", "tags"]


def test_an_imports_tags_column_tags_each_rows_person(django_assert_max_num_queries):
    ScoringRule.objects.create(name="Fair", kind="fit", attribute="tags", operator="in", value="trade-fair", points=30)
    rows = [
        ["Email", "First name", "Tags"],
        ["jana@meridian-bank.de", "Jana", "Trade fair, VIP"],
        ["petr@meridian-bank.de", "Petr", ""],
        ["olga@atlas-health.example", "Olga", "trade-fair,, trade fair"],
        ["test@example.com", "Test", "vip"],  # junk: a test address tags nobody
    ]
    lead_import, preview = run_import(csv_bytes(rows))
    assert lead_import.status == "done" and preview.bad == 1
    jana, petr, olga = (Person.objects.get(email__startswith=name) for name in ("jana", "petr", "olga"))
    assert (slugs(jana), slugs(petr), slugs(olga)) == (["trade-fair", "vip"], [], ["trade-fair"])
    assert not PersonTag.objects.filter(person__email="test@example.com").exists()
    assert set(PersonTag.objects.values_list("source", flat=True)) == {"import"}
    assert Interaction.objects.filter(type="tag_added").count() == 3
    # Scored after the tags: the rule that reads them counts on the import itself.
    jana.refresh_from_db()
    assert jana.fit_score == 30


def test_bad_names_in_the_tags_column_are_warnings_and_the_good_ones_are_kept():
    rows = [["Email", "Tags"], ["jana@meridian-bank.de", "<script>x</script>, good one, ###"]]
    lead_import, preview = run_import(csv_bytes(rows))
    (check,) = preview.rows
    assert check.ok and any(
        "looks like HTML" in warning and "no letter or digit" in warning for warning in check.warnings
    )
    assert check.fields["tags"] == "good one"
    assert slugs(Person.objects.get()) == ["good-one"]


def test_tags_for_the_whole_import_join_each_rows_own():
    rows = [["Email", "Tags"], ["jana@meridian-bank.de", "vip"], ["petr@meridian-bank.de", ""]]
    lead_import, _ = run_import(csv_bytes(rows), tags=["Berlin 2026", "trade-fair"])
    assert LeadImport.objects.get(pk=lead_import.pk).tags == "Berlin 2026, trade-fair"
    assert slugs(Person.objects.get(email__startswith="jana")) == ["berlin-2026", "trade-fair", "vip"]
    assert slugs(Person.objects.get(email__startswith="petr")) == ["berlin-2026", "trade-fair"]


def test_the_upload_form_takes_tags_for_everybody_and_refuses_bad_ones_naming_the_field(client):
    client.force_login(admin_user("importer"))
    content = csv_bytes([["Email"], ["jana@meridian-bank.de"]])
    url = reverse("lead_imports:upload")
    for bad, words in (("<b>x</b>", "looks like HTML"), ("!!!", "no letter or digit"), ("y" * 61, "longer than 60")):
        response = client.post(
            url, {"file": upload(content, "a.csv"), "name": "x", "interaction_type": "imported", "tags": bad}
        )
        assert response.status_code == 400 and words in response.content.decode()
        assert "tags" in response.context["form"].errors
    assert not LeadImport.objects.exists()
    response = client.post(
        url,
        {"file": upload(content, "a.csv"), "name": "Fair", "interaction_type": "imported", "tags": "fair, Fair ,vip"},
    )
    assert response.status_code == 302
    lead_import = LeadImport.objects.get()
    assert lead_import.tags == "fair, vip"
    assert (
        "Tags for everybody in this file: fair, vip."
        in client.get(reverse("lead_imports:preview", args=[lead_import.pk])).content.decode()
    )


# --- A form's hidden field ---------------------------------------------------------------------------


@pytest.fixture
def tagged_form(home_page):
    page = LeadFormPageFactory(parent=home_page, title="Webinar sign-up", slug="webinar-sign-up", purpose="general")
    LeadFormField.objects.create(
        page=page, sort_order=99, label="tags", field_type="hidden", default_value="Webinar, q4"
    )
    return page


def test_a_forms_hidden_tags_field_tags_the_person_and_what_the_browser_posts_is_ignored(
    client, tagged_form, consent_policies
):
    page = client.get(tagged_form.url).content.decode()
    assert 'name="tags"' not in page and "Webinar, q4" not in page  # the form's own tags stay internal
    response = submit(client, tagged_form.url, {**GOOD_ANSWERS, "tags": "hacked, <script>"})
    assert response.status_code in (200, 302)
    person = Person.objects.get()
    assert slugs(person) == ["q4", "webinar"]
    assert set(PersonTag.objects.values_list("source", flat=True)) == {"form"}
    assert not Tag.objects.filter(slug="hacked").exists()
    entry = Interaction.objects.filter(person=person, type="tag_added").first()
    assert entry.properties == {"source": "form"}


def test_the_form_builder_refuses_a_hidden_tags_field_with_a_bad_default(tagged_form):
    field = LeadFormField(page=tagged_form, label="tags", field_type="hidden", default_value="ok, <b>no</b>")
    with pytest.raises(ValidationError) as refused:
        field.clean()
    assert "default_value" in refused.value.message_dict
    LeadFormField(page=tagged_form, label="Tags", field_type="singleline", default_value="<b>a question</b>").clean()


# --- The webhook -------------------------------------------------------------------------------------


def test_a_webhook_leads_tags_tag_the_person(client):
    body = {**GENERIC, "lead_id": "zap-tags-1", "tags": ["Webinar", "vip"]}
    body["fields"] = {**GENERIC["fields"], "tags": "vip, Partner referral"}
    response = send(client, "zapier", body)
    assert response.status_code == 201, response.content
    person = Person.objects.get()
    assert slugs(person) == ["partner-referral", "vip", "webinar"]
    assert set(PersonTag.objects.values_list("source", flat=True)) == {"api"}


@pytest.mark.parametrize(
    "tags, words",
    [
        ("<script>alert(1)</script>", "looks like HTML"),
        (["ok", {"nested": 1}], "must be a list of names"),
        (42, "must be a list of names"),
        (["!!!"], "no letter or digit"),
        ([f"t{n}" for n in range(30)], "At most 20"),
    ],
)
def test_a_webhook_with_bad_tags_is_a_422_naming_the_field(client, tags, words):
    body = {**GENERIC, "lead_id": f"zap-bad-{words[:5]}", "tags": tags}
    response = send(client, "zapier", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "tags" and words in response.json()["detail"]
    assert not Person.objects.exists() and not Tag.objects.exists()
