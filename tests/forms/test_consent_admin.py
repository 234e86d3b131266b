"""Forms & consent in the Wagtail admin: consent policies, consent records, rejected submissions, receipts."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission, ModelLogEntry

from forms.models import ConsentPolicy, LeadFormPage
from tests.factories.forms import ConsentPolicyFactory, ConsentRecordFactory, RejectedSubmissionFactory

pytestmark = pytest.mark.django_db

POLICIES = "/admin/forms/consent-policies/"
RECORDS = "/admin/forms/consent-records/"
REJECTED = "/admin/forms/rejected-submissions/"
RECEIPTS = "/admin/forms/webhook-receipts/"


def permission(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def make_user(django_user_model):
    def make(username, *permissions):
        user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw-123-secret")
        user.user_permissions.add(permission("wagtailadmin.access_admin"), *(permission(p) for p in permissions))
        return user

    return make


@pytest.fixture
def records(db):
    return [
        ConsentRecordFactory(
            email="jane.doe@meridian-bank.de",
            granted=True,
            country="DE",
            channel="web",
            ip_address="203.0.113.77",
            visitor_id="v1234567890",
        ),
        ConsentRecordFactory(
            email="sam@northwind.example",
            granted=False,
            country="US",
            policy_country="US",
            channel="api",
            ip_address="2001:db8:1:2::5",
        ),
        ConsentRecordFactory(
            email="kim@importer.example", granted=True, country="FR", policy_country="*", channel="import"
        ),
    ]


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


# --- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [POLICIES, f"{POLICIES}new/", RECORDS, REJECTED, RECEIPTS])
def test_superusers_open_every_screen(admin_client_logged_in, records, url):
    RejectedSubmissionFactory()
    assert admin_client_logged_in.get(url).status_code == 200


@pytest.mark.parametrize("url", [POLICIES, RECORDS, REJECTED, RECEIPTS])
def test_visitors_are_sent_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("url", [POLICIES, f"{POLICIES}new/", RECORDS, REJECTED, RECEIPTS])
def test_editors_without_the_model_permission_are_refused(client, make_user, records, url):
    client.force_login(make_user("editor", "leads.view_personal_data"))
    response = client.get(url, follow=True)
    # Sent home with the reason (a redirect's empty body would hide nothing worth checking).
    assert response.redirect_chain == [("/admin/", 302)], response.redirect_chain
    html = response.content.decode()
    assert "Sorry, you do not have permission to access this area." in html
    assert "jane.doe@meridian-bank.de" not in html


def test_the_view_permission_opens_a_listing_but_not_the_editing(client, make_user, records):
    user = make_user("auditor", "leadforms.view_consentrecord", "leadforms.view_consentpolicy")
    client.force_login(user)
    assert client.get(RECORDS).status_code == 200
    assert client.get(f"{RECORDS}inspect/{records[0].pk}/").status_code == 200
    assert client.get(POLICIES).status_code == 200
    assert client.get(f"{POLICIES}new/").status_code in (302, 403)
    assert client.get(REJECTED).status_code in (302, 403)


@pytest.mark.parametrize("path", ["new/", "edit/{pk}/", "delete/{pk}/"])
def test_consent_records_are_never_written_by_hand_even_by_superusers(admin_client_logged_in, records, path):
    url = RECORDS + path.format(pk=records[0].pk)
    assert admin_client_logged_in.get(url).status_code in (302, 403, 404)
    assert admin_client_logged_in.post(url, {"form_title": "changed"}).status_code in (302, 403, 404)
    records[0].refresh_from_db()
    assert records[0].form_title == "Get the whitepaper"


def test_the_menu_group_shows_for_permitted_users_only(client, make_user):
    client.force_login(make_user("auditor", "leadforms.view_consentrecord"))
    html = client.get("/admin/").content.decode()  # the sidebar menu is JSON in the page
    assert '"forms-consent"' in html and RECORDS in html and POLICIES not in html
    client.force_login(make_user("other"))
    html = client.get("/admin/").content.decode()
    assert '"forms-consent"' not in html


# --- consent policies -----------------------------------------------------------------------


def test_policy_listing_shows_country_checkbox_opt_in_version(admin_client_logged_in):
    ConsentPolicyFactory(country="DE")
    ConsentPolicyFactory(country="*", opt_in_required=False)
    html = admin_client_logged_in.get(POLICIES).content.decode()
    for text in ("DE", "Everywhere else", "Show checkbox", "Opt in required", "Version", "Updated"):
        assert text in html


def test_a_policy_is_added_with_a_normalised_country(admin_client_logged_in):
    response = admin_client_logged_in.post(
        f"{POLICIES}new/", {"country": " jp ", "show_checkbox": "on", "opt_in_required": "on", "text": "Yes, email me."}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert ConsentPolicy.objects.get(text="Yes, email me.").country == "JP"


def test_the_models_clean_error_is_shown_on_the_country_field(admin_client_logged_in):
    before = ConsentPolicy.objects.count()  # migrations may have added default policies
    response = admin_client_logged_in.post(f"{POLICIES}new/", {"country": "G1", "text": "Yes, email me."})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["country"] == ['Use a two-letter country code such as DE, or "*".']
    html = response.content.decode()
    assert "Use a two-letter country code such as DE" in html
    assert ConsentPolicy.objects.count() == before


def test_a_duplicate_country_is_refused_on_the_field(admin_client_logged_in):
    ConsentPolicyFactory(country="DE")
    response = admin_client_logged_in.post(f"{POLICIES}new/", {"country": "de", "text": "Another text"})
    assert response.status_code == 200
    assert any("already exists" in error for error in response.context["form"].errors["country"])
    assert ConsentPolicy.objects.filter(country="DE").count() == 1, "refused: no second policy for DE"


def test_editing_the_text_raises_the_version(admin_client_logged_in):
    policy = ConsentPolicyFactory(country="DE")
    response = admin_client_logged_in.post(
        f"{POLICIES}edit/{policy.pk}/",
        {"country": "DE", "show_checkbox": "on", "opt_in_required": "on", "text": "New wording."},
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.version == 2 and policy.text == "New wording."


# --- consent records: filters, search, inspect, masking, export -------------------------------


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ("granted=true", "jane.doe@meridian-bank.de", "sam@northwind.example"),
        ("granted=false", "sam@northwind.example", "jane.doe@meridian-bank.de"),
        ("country=FR", "kim@importer.example", "jane.doe@meridian-bank.de"),
        ("channel=api", "sam@northwind.example", "kim@importer.example"),
        ("q=meridian", "jane.doe@meridian-bank.de", "kim@importer.example"),
    ],
)
def test_records_filter_and_search(admin_client_logged_in, records, query, shown, hidden):
    response = admin_client_logged_in.get(f"{RECORDS}?{query}")
    html = response.content.decode()
    assert response.status_code == 200
    assert shown in html and hidden not in html


def test_people_with_personal_data_permission_see_emails_and_addresses(client, make_user, records):
    client.force_login(make_user("dpo", "leadforms.view_consentrecord", "leads.view_personal_data"))
    html = client.get(RECORDS).content.decode()
    assert "jane.doe@meridian-bank.de" in html
    detail = client.get(f"{RECORDS}inspect/{records[0].pk}/").content.decode()
    assert "jane.doe@meridian-bank.de" in detail and "203.0.113.77" in detail and "v1234567890" in detail


def test_personal_data_is_masked_without_the_permission(client, make_user, records):
    client.force_login(make_user("auditor", "leadforms.view_consentrecord"))
    html = client.get(RECORDS).content.decode()
    assert "jane.doe" not in html and "j***@meridian-bank.de" in html
    detail = client.get(f"{RECORDS}inspect/{records[0].pk}/").content.decode()
    assert "jane.doe" not in detail and "j***@meridian-bank.de" in detail
    assert "203.0.113.77" not in detail and "203.0.113.x" in detail
    assert "v1234567890" not in detail and "v123***" in detail
    ipv6 = client.get(f"{RECORDS}inspect/{records[1].pk}/").content.decode()
    assert "2001:db8:1:2::5" not in ipv6 and "2001:db8:1::x" in ipv6


def test_csv_export_is_masked_and_audit_logged(client, make_user, records):
    user = make_user("auditor", "leadforms.view_consentrecord")
    client.force_login(user)
    response = client.get(f"{RECORDS}?export=csv&granted=true")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    assert len(rows) == 2
    assert {row["Email"] for row in rows} == {"j***@meridian-bank.de", "k***@importer.example"}
    assert "203.0.113.77" not in body_of(client.get(f"{RECORDS}?export=csv"))
    entry = ModelLogEntry.objects.filter(action="leadforms.export").order_by("timestamp").first()
    assert entry.user == user
    assert entry.data["format"] == "csv" and entry.data["rows"] == 2 and entry.data["masked"] is True
    assert entry.data["filters"] == {"granted": ["true"]}
    assert "Consent records" in entry.label
    assert ModelLogEntry.objects.filter(action="leadforms.export").count() == 2


def test_xlsx_export_for_people_with_the_permission_is_complete_and_logged(client, make_user, records):
    from openpyxl import load_workbook

    user = make_user("dpo", "leadforms.view_consentrecord", "leads.view_personal_data")
    client.force_login(user)
    response = client.get(f"{RECORDS}?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(body_of_bytes(response))).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "jane.doe@meridian-bank.de" in values and "203.0.113.77" in values
    entry = ModelLogEntry.objects.get(action="leadforms.export")
    assert entry.user == user and entry.data["format"] == "xlsx" and entry.data["masked"] is False


def body_of_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_export_shows_in_the_site_history(admin_client_logged_in, records):
    admin_client_logged_in.get(f"{RECORDS}?export=csv")
    response = admin_client_logged_in.get("/admin/reports/site-history/")
    assert response.status_code == 200
    assert "Consent records: CSV export of 3 rows" in response.content.decode()


# --- rejected submissions -------------------------------------------------------------------


def test_rejected_submissions_filter_by_reason_and_channel(admin_client_logged_in):
    RejectedSubmissionFactory(reason="honeypot", channel="web", email="honeypot-row@spam.example")
    RejectedSubmissionFactory(reason="bad_signature", channel="webhook", email="signature-row@spam.example")
    html = admin_client_logged_in.get(f"{REJECTED}?reason=bad_signature").content.decode()
    assert "signature-row@" in html and "honeypot-row@" not in html
    html = admin_client_logged_in.get(f"{REJECTED}?channel=web").content.decode()
    assert "honeypot-row@" in html and "signature-row@" not in html


def test_rejected_submission_inspect_masks_the_body_without_permission(client, make_user):
    rejected = RejectedSubmissionFactory(email="bot@spam.example", payload_excerpt='{"secret": "visible-body"}')
    client.force_login(make_user("reviewer", "leadforms.view_rejectedsubmission"))
    detail = client.get(f"{REJECTED}inspect/{rejected.pk}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "visible-body" not in html and "b***@spam.example" in html and "198.51.100.x" in html
    client.force_login(make_user("dpo", "leadforms.view_rejectedsubmission", "leads.view_personal_data"))
    html = client.get(f"{REJECTED}inspect/{rejected.pk}/").content.decode()
    assert "visible-body" in html and "bot@spam.example" in html


def test_rejected_submissions_cannot_be_deleted_or_added(admin_client_logged_in):
    rejected = RejectedSubmissionFactory()
    assert admin_client_logged_in.get(f"{REJECTED}new/").status_code in (302, 403, 404)
    admin_client_logged_in.post(f"{REJECTED}delete/{rejected.pk}/")
    assert type(rejected).objects.filter(pk=rejected.pk).exists()


# --- Wagtail's own form submissions need the personal-data permission -------------------------


@pytest.fixture
def form_page(home_page):
    return home_page.add_child(instance=LeadFormPage(title="Contact sales", slug="contact-sales"))


@pytest.fixture
def page_editor(make_user, home_page):
    def make(username, *permissions):
        user = make_user(username, *permissions)
        group = Group.objects.create(name=f"Editors of {username}")
        for codename in ("add_page", "change_page", "publish_page"):
            GroupPagePermission.objects.create(
                group=group, page=home_page, permission=permission(f"wagtailcore.{codename}")
            )
        user.groups.add(group)
        return user

    return make


def test_an_editor_without_personal_data_permission_sees_no_form_submissions(client, page_editor, form_page):
    client.force_login(page_editor("editor"))
    assert client.get(f"/admin/pages/{form_page.pk}/edit/").status_code == 200  # they can edit the page
    response = client.get(reverse("wagtailforms:index"))
    assert response.status_code == 200
    assert list(response.context["form_pages"]) == []
    listing = client.get(reverse("wagtailforms:list_submissions", args=[form_page.pk]))
    assert listing.status_code in (302, 403)


def test_an_editor_with_personal_data_permission_sees_them(client, page_editor, form_page):
    client.force_login(page_editor("sales-ops", "leads.view_personal_data"))
    response = client.get(reverse("wagtailforms:index"))
    assert [page.pk for page in response.context["form_pages"]] == [form_page.pk]
    assert client.get(reverse("wagtailforms:list_submissions", args=[form_page.pk])).status_code == 200


# --- masking helpers ------------------------------------------------------------------------


def test_masks():
    from leads.privacy import mask_email, mask_identifier, mask_ip

    assert mask_email("jane@example.com") == "j***@example.com"
    assert mask_email("no-at-sign") == "n***" and mask_email("") == "" and mask_email(None) == ""
    assert mask_ip("192.0.2.1") == "192.0.2.x" and mask_ip("garbage") == "x" and mask_ip(None) == ""
    assert mask_identifier("abcdefgh") == "abcd***"
