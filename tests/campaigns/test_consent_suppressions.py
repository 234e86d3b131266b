"""The suppression list (issue 17, item 4): keyed like the lead store's people, the strongest reason kept,
imports with per-line errors, and its admin screens (permissions, masking, audit log)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import ModelLogEntry

from campaigns.models import Suppression
from campaigns.suppression import is_suppressed, suppress, suppressions_import

pytestmark = pytest.mark.django_db

INDEX = "/admin/campaigns/suppressions/"
IMPORT = "/admin/campaigns/suppressions/import/"


def test_suppress_keys_by_the_lead_stores_email_key_and_is_idempotent():
    assert suppress("Jana.Doe+News@Meridian-Bank.DE", "unsubscribed") is True
    assert is_suppressed("jana.doe@meridian-bank.de") and is_suppressed("jana.doe+other@meridian-bank.de")
    assert suppress("jana.doe@meridian-bank.de", "unsubscribed") is False
    assert Suppression.objects.get().email_key == "jana.doe@meridian-bank.de"


@pytest.mark.parametrize(
    "first, then, kept",
    [
        ("unsubscribed", "hard_bounce", "hard_bounce"),
        ("hard_bounce", "complaint", "complaint"),
        ("complaint", "unsubscribed", "complaint"),
        ("hard_bounce", "imported", "hard_bounce"),
        ("imported", "unsubscribed", "unsubscribed"),
    ],
)
def test_the_strongest_reason_is_kept(first, then, kept):
    suppress("a@example.com", first)
    suppress("a@example.com", then)
    assert Suppression.objects.get().reason == kept


@pytest.mark.parametrize("bad", ["", "not-an-address", "a@", "@x.com", "x" * 300 + "@example.com", None])
def test_suppress_refuses_what_is_not_an_address(bad):
    with pytest.raises(ValueError, match="email"):
        suppress(bad, "manual")
    assert not is_suppressed(bad or "")


def test_an_import_reports_each_bad_line_and_counts_duplicates():
    suppress("known@example.com", "complaint")
    text = "\n".join(
        [
            "email,name",
            "new@example.com,New",
            "NEW+x@example.com,Again",
            "known@example.com,Known",
            "broken@,Broken",
            '=HYPERLINK("x"),Formula',
            "",
            "other@example.org,Other",
        ]
    )
    result = suppressions_import(text, reason="imported")
    assert (result.lines, result.added, result.already, result.duplicates, result.invalid) == (6, 2, 1, 1, 2)
    assert [error.line for error in result.errors] == [5, 6]
    assert Suppression.objects.get(email_key="known@example.com").reason == "complaint"  # never weakened


def test_a_hundred_thousand_lines_import_in_batches(django_assert_max_num_queries):
    lines = "\n".join(f"person{n}@bulk.example" for n in range(100_000))
    with django_assert_max_num_queries(1000):  # 100 batches of 1000, a few queries each
        result = suppressions_import(lines.encode())
    assert result.added == 100_000 and Suppression.objects.count() == 100_000


def test_undecodable_bytes_are_an_invalid_line_not_a_failure():
    result = suppressions_import(b"ok@example.com\n\xff\xfe@\xc3(.com\n")
    assert (result.added, result.invalid) == (1, 1)


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def marketer(django_user_model):
    user = django_user_model.objects.create_user("mia", "mia@example.com", "pw")
    group = Group.objects.create(name="Suppression editors")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="campaigns", codename__endswith="_suppression"),
    )
    user.groups.add(group)
    return user


def test_addresses_are_masked_without_the_personal_data_permission(client, marketer):
    suppress("jana.doe@meridian-bank.de", "hard_bounce")
    client.force_login(marketer)
    html = client.get(INDEX).content.decode()
    assert "jana.doe@meridian-bank.de" not in html and "j***@meridian-bank.de" in html
    marketer.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    assert "jana.doe@meridian-bank.de" in client.get(INDEX).content.decode()


def test_the_import_page_imports_a_file_and_writes_the_audit_log(client, marketer):
    client.force_login(marketer)
    upload = SimpleUploadedFile("list.csv", b"email\nA@example.com\nnope\n", content_type="text/csv")
    response = client.post(IMPORT, {"file": upload, "reason": "imported"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 added" in html and "nope" in html
    assert is_suppressed("a@example.com")
    entry = ModelLogEntry.objects.get(action="campaigns.suppressions_import")
    assert entry.user == marketer and entry.data["added"] == 1 and entry.data["invalid"] == 1


def test_the_import_needs_the_add_permission(client, django_user_model):
    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="view_suppression")
    )
    client.force_login(viewer)
    response = client.post(IMPORT, {"addresses": "a@example.com", "reason": "imported"})
    assert response.status_code in (302, 403) and not Suppression.objects.exists()


def test_an_empty_import_is_an_error_naming_what_is_missing(client, marketer):
    client.force_login(marketer)
    response = client.post(IMPORT, {"reason": "imported"})
    assert "Choose a file or paste some addresses" in response.content.decode()


def test_adding_by_hand_normalises_the_address_and_refuses_a_bad_one(client, marketer):
    client.force_login(marketer)
    bad = client.post(INDEX + "new/", {"email_key": "<script>", "reason": "manual"})
    assert bad.status_code == 200 and "Enter a valid email address" in bad.content.decode()
    client.post(INDEX + "new/", {"email_key": "Jane+x@Example.com", "reason": "manual"})
    assert Suppression.objects.get().email_key == "jane@example.com"


def test_the_list_needs_a_permission(client, django_user_model):
    nobody = django_user_model.objects.create_user("no", "no@example.com", "pw")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(nobody)
    assert client.get(INDEX).status_code in (302, 403)
    assert client.get(IMPORT).status_code in (302, 403)
