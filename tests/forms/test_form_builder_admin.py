"""A marketer builds a form in the Wagtail admin, attaches it to a whitepaper, and reads submissions."""

import pytest
from django.contrib.auth.models import Permission
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from forms.models import LeadFormPage
from tests.factories import WhitepaperPageFactory
from tests.forms.conftest import submit

FIELDS = [
    {
        "label": "Work email",
        "field_type": "email",
        "maps_to": "email",
        "required": "on",
        "help_text": "",
        "choices": "",
        "default_value": "",
    },
    {
        "label": "Company",
        "field_type": "singleline",
        "maps_to": "company",
        "required": "on",
        "help_text": "",
        "choices": "",
        "default_value": "",
    },
    {
        "label": "Role",
        "field_type": "dropdown",
        "maps_to": "",
        "help_text": "Pick the closest",
        "choices": "Marketing\nSales\nOther",
        "default_value": "",
    },
    {
        "label": "Job title",
        "field_type": "singleline",
        "maps_to": "job_title",
        "progressive": "on",
        "help_text": "",
        "choices": "",
        "default_value": "",
    },
]


def page_form(title, slug, fields):
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "purpose": "gate",
            "intro": rich_text(""),
            "submit_label": "Get it",
            "thank_you_text": rich_text("<p>Thanks!</p>"),
            "gate_behaviour": "remember",
            "progressive_profiling": "on",
            "questions_per_visit": "2",
            "send_confirmation": "on",
            "confirmation_subject": "Your PDF",
            "confirmation_text": "",
            "to_address": "",
            "from_address": "",
            "subject": "",
            "form_fields": inline_formset(fields),
            "action-publish": "publish",
        }
    )


def test_marketer_builds_a_form_attaches_it_and_visitors_use_it(
    admin_client, client, home_page, whitepaper_index, consent_policies
):
    response = admin_client.post(
        f"/admin/pages/add/leadforms/leadformpage/{home_page.pk}/", page_form("Get the guide", "get-the-guide", FIELDS)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    form_page = LeadFormPage.objects.get(slug="get-the-guide")
    assert form_page.live
    assert [(f.label, f.maps_to, f.progressive) for f in form_page.form_fields.all()] == [
        ("Work email", "email", False),
        ("Company", "company", False),
        ("Role", "", False),
        ("Job title", "job_title", True),
    ]

    whitepaper = WhitepaperPageFactory(parent=whitepaper_index, gate_form=form_page)
    response = submit(
        client, whitepaper.url, {"work_email": "max@kestrel-mfg.com", "company": "Kestrel", "role": "Sales"}
    )
    assert "Download the PDF" in response.content.decode()

    listing = admin_client.get(f"/admin/forms/submissions/{form_page.pk}/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "max@kestrel-mfg.com" in html and "LID-" in html and whitepaper.title in html
    export = admin_client.get(f"/admin/forms/submissions/{form_page.pk}/?export=csv")
    assert b"Filled in for" in b"".join(export.streaming_content)


def test_an_email_field_must_be_an_email_or_text_field(admin_client, home_page):
    bad = [{**FIELDS[0], "field_type": "checkbox"}]
    response = admin_client.post(
        f"/admin/pages/add/leadforms/leadformpage/{home_page.pk}/", page_form("Bad", "bad", bad)
    )
    assert response.status_code == 200
    assert "A field saved as the email must be an email or text field." in response.content.decode()
    assert not LeadFormPage.objects.filter(slug="bad").exists()


@pytest.mark.django_db
def test_whitepaper_gates_can_only_be_form_pages(home_page, whitepaper_index):
    from django.core.exceptions import ValidationError

    whitepaper = WhitepaperPageFactory(parent=whitepaper_index)
    whitepaper.gate_form_id = home_page.pk  # a page that is not a form
    with pytest.raises(ValidationError) as error:
        whitepaper.full_clean()
    assert "gate_form" in error.value.message_dict


def test_submissions_are_hidden_from_editors_without_the_personal_data_right(client, django_user_model, gate_form):
    editor = django_user_model.objects.create_user("ed", password="pw")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get(f"/admin/forms/submissions/{gate_form.pk}/").status_code in (302, 403, 404)
