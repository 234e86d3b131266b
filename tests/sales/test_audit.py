"""The audit log: administrators read who viewed whom and who exported what; nobody else does."""

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from leads.admin_privacy import EXPORT_ACTION, export_log
from leads.models import Person
from sales.audit import (
    AUDIT_LOG_TITLE,
    EXPORT_DOWNLOAD_ACTION,
    PROFILE_VIEW_ACTION,
    record_export,
)

pytestmark = pytest.mark.django_db

AUDIT_URL = "/admin/sales/audit-log/"


def text(response) -> str:
    return unescape(response.content.decode())


def rows_of(html) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def trail(client, org, book):
    """Rita opens two of her people and exports a whitepaper's lead list; Mona opens one; an events
    listing export (written by leads.admin_privacy.export_log, the Wagtail listings' path) by Mark."""
    client.force_login(org["rita"])
    client.get(reverse("leads_person:inspect", args=[book["rita1"].pk]))
    client.get(reverse("leads_person:inspect", args=[book["rita2"].pk]))
    record_export(
        org["rita"],
        model=Person,
        list_title="Whitepaper: AI in Banking",
        file_format="csv",
        rows=2,
        params="grade=A1&grade=B2",
        masked=True,
    )
    client.force_login(org["mona"])
    client.get(reverse("leads_person:inspect", args=[book["ravi1"].pk]))
    request = RequestFactory().get("/admin/events/registrations/", {"event": "7", "export": "xlsx"})
    request.user = org["mark"]
    export_log(request, Person, "xlsx", Person.objects.all(), masked=False)
    client.logout()
    return ModelLogEntry.objects.filter(action__in=[PROFILE_VIEW_ACTION, EXPORT_ACTION])


def test_administrator_sees_profile_views_and_exports(client, org, book, trail):
    client.force_login(org["ada"])
    response = client.get(AUDIT_URL)
    assert response.status_code == 200
    html = text(response)
    rows = rows_of(html)
    assert len(rows) == 5
    views_by_rita = [row for row in rows if "Rita" in row and "View profile" in row]
    assert len(views_by_rita) == 2
    link = reverse("leads_person:inspect", args=[book["rita1"].pk])
    assert any(f'<a href="{link}">PID-{book["rita1"].pk}</a>' in row for row in views_by_rita)
    export = next(row for row in rows if "Whitepaper: AI in Banking" in row)
    assert "Rita" in export and "Export" in export and "grade=A1&grade=B2" in export
    assert re.search(r"<td >\s*2\s*</td>", export) and re.search(r"<td >\s*yes\s*</td>", export)
    # The listing export: named after its model, filters from the dict it was stored as.
    events = next(row for row in rows if "Mark" in row)
    assert "People" in events and "event=7" in events and "export=xlsx" not in events
    # Newest first.
    assert "Mark" in rows[0] and "Rita" in rows[-1]
    # Nothing of a person but their id.
    assert book["rita1"].email not in html


def test_menu_item_only_for_administrators(client, org):
    client.force_login(org["ada"])
    assert AUDIT_URL in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(org["mona"])
    assert AUDIT_URL not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_superuser_may_read_it(client, django_user_model, trail):
    boss = django_user_model.objects.create_superuser("boss", "boss@signalpage.test", "pw-sales-123-secret")
    client.force_login(boss)
    assert client.get(AUDIT_URL).status_code == 200


@pytest.mark.parametrize("username", ["rita", "mona", "mark", "eddie", "erin"])
def test_others_are_refused(client, org, username):
    client.force_login(org[username])
    for url in (AUDIT_URL, AUDIT_URL + "results/", AUDIT_URL + "?export=csv", AUDIT_URL + "?export=xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not ModelLogEntry.objects.filter(data__list=AUDIT_LOG_TITLE).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(AUDIT_URL)
    assert response.status_code == 302 and "/login/" in response.url


# --- Filters -----------------------------------------------------------------------------------


def test_filter_by_action(client, org, trail):
    client.force_login(org["ada"])
    rows = rows_of(text(client.get(AUDIT_URL, {"action": PROFILE_VIEW_ACTION})))
    assert len(rows) == 3 and all("View profile" in row for row in rows)
    rows = rows_of(text(client.get(AUDIT_URL, {"action": EXPORT_ACTION})))
    assert len(rows) == 2 and all("Export" in row for row in rows)


def test_filter_by_user(client, org, trail):
    client.force_login(org["ada"])
    rows = rows_of(text(client.get(AUDIT_URL, {"user": org["rita"].pk})))
    assert len(rows) == 3 and all("Rita" in row for row in rows)
    rows = rows_of(text(client.get(AUDIT_URL, {"user": [org["mona"].pk, org["mark"].pk]})))
    assert len(rows) == 2 and not any("Rita" in row for row in rows)


def test_filter_by_date_range(client, org, trail):
    old = trail.filter(user=org["rita"], action=PROFILE_VIEW_ACTION).order_by("pk").first()
    ModelLogEntry.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=40))
    client.force_login(org["ada"])
    today = timezone.localdate()
    recent = rows_of(text(client.get(AUDIT_URL, {"timestamp_from": (today - timedelta(days=7)).isoformat()})))
    assert len(recent) == 4
    long_ago = rows_of(text(client.get(AUDIT_URL, {"timestamp_to": (today - timedelta(days=30)).isoformat()})))
    assert len(long_ago) == 1 and "Rita" in long_ago[0]


@pytest.mark.parametrize(
    "query",
    [
        {"timestamp_from": "not-a-date"},
        {"timestamp_to": "2024-13-45"},
        {"action": "wagtail.delete"},
        {"user": "abc"},
        {"user": "99999999999999999999"},
        {"p": "-1"},
        {"p": "x"},
        {"p": "99999"},
        {"action": PROFILE_VIEW_ACTION, "timestamp_from": "\x00"},
    ],
)
def test_hostile_query_strings_never_500(client, org, trail, query):
    client.force_login(org["ada"])
    response = client.get(AUDIT_URL, query)
    assert response.status_code == 200
    assert client.get(AUDIT_URL + "results/", query).status_code == 200


def test_a_bad_date_keeps_the_other_filters(client, org, trail):
    client.force_login(org["ada"])
    rows = rows_of(text(client.get(AUDIT_URL, {"action": EXPORT_ACTION, "timestamp_from": "soon"})))
    assert len(rows) == 2


def test_results_fragment_for_the_filters(client, org, trail):
    client.force_login(org["ada"])
    response = client.get(AUDIT_URL + "results/", {"action": EXPORT_ACTION})
    assert response.status_code == 200
    assert "<html" not in response.content.decode() and len(rows_of(text(response))) == 2


def test_paginates(client, org, book):
    for n in range(55):
        record_export(
            org["rita"], model=Person, list_title=f"List {n}", file_format="csv", rows=n, params="", masked=True
        )
    client.force_login(org["ada"])
    assert len(rows_of(text(client.get(AUDIT_URL)))) == 50
    assert len(rows_of(text(client.get(AUDIT_URL, {"p": 2})))) == 5


def test_listing_queries_do_not_grow_with_the_rows(client, org, book, django_assert_max_num_queries):
    for n in range(40):
        record_export(
            org["rita" if n % 2 else "mona"],
            model=Person,
            list_title=f"List {n}",
            file_format="csv",
            rows=n,
            params="",
            masked=True,
        )
    client.force_login(org["ada"])
    client.get(AUDIT_URL)
    with django_assert_max_num_queries(20):
        assert client.get(AUDIT_URL).status_code == 200


# --- Exporting the audit log -------------------------------------------------------------------


def test_csv_export_of_the_audit_log_is_itself_logged(client, org, book, trail):
    client.force_login(org["ada"])
    response = client.get(AUDIT_URL, {"export": "csv", "action": PROFILE_VIEW_ACTION})
    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"])
    rows = csv_rows(response)
    assert rows[0] == ["When (UTC)", "Who", "Action", "What", "Filters", "Rows", "Personal data masked", "Object id"]
    assert len(rows) == 4  # heading and the three profile views
    assert {row[3] for row in rows[1:]} == {f"PID-{book[key].pk}" for key in ("rita1", "rita2", "ravi1")}
    assert all(row[2] == "View profile" for row in rows[1:])

    entry = ModelLogEntry.objects.get(data__list=AUDIT_LOG_TITLE)
    assert entry.user == org["ada"] and entry.action == EXPORT_ACTION
    assert entry.data["rows"] == 3 and entry.data["format"] == "csv"
    assert entry.data["filters"] == f"action={PROFILE_VIEW_ACTION}"
    # ... and it shows in the log itself (a row of its own: the page's title says "Audit log" anyway).
    exports = rows_of(text(client.get(AUDIT_URL, {"action": EXPORT_ACTION})))
    assert [row for row in exports if AUDIT_LOG_TITLE in row and "Ada" in row]


def test_xlsx_export_of_the_audit_log(client, org, book, trail):
    client.force_login(org["ada"])
    response = client.get(AUDIT_URL, {"export": "xlsx", "user": org["rita"].pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"') and "audit-log-" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("When (UTC)", "Who", "Action", "What")
    assert len(rows) == 4 and {row[1] for row in rows[1:]} == {"Rita"}
    assert "Whitepaper: AI in Banking" in {row[3] for row in rows[1:]}
    entry = ModelLogEntry.objects.get(data__list=AUDIT_LOG_TITLE)
    assert entry.data["format"] == "xlsx" and entry.data["rows"] == 3


def test_export_escapes_formulas(client, org, book):
    record_export(
        org["rita"],
        model=Person,
        list_title='=HYPERLINK("http://evil.example")',
        file_format="csv",
        rows=1,
        params="q=@SUM(A1)",
        masked=True,
    )
    record_export(org["rita"], model=Person, list_title="-2+3", file_format="csv", rows=1, params="\tx=1", masked=True)
    client.force_login(org["ada"])
    rows = csv_rows(client.get(AUDIT_URL, {"export": "csv"}))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example")' in cells and "'-2+3" in cells
    assert "'q=@SUM(A1)" not in cells and "q=@SUM(A1)" in cells  # only a cell's first character matters
    assert "'\tx=1" in cells
    assert not any(cell[:1] in {"=", "+", "-", "@", "\t", "\r"} for cell in cells)

    sheet = load_workbook(
        io.BytesIO(b"".join(client.get(AUDIT_URL, {"export": "xlsx"}).streaming_content)), read_only=True
    ).active
    values = [value for row in sheet.iter_rows(values_only=True) for value in row if isinstance(value, str)]
    assert '\'=HYPERLINK("http://evil.example")' in values


def test_download_entries_show_too(client, org, book):
    record_export(
        org["rita"],
        model=Person,
        list_title="My MQLs this week",
        file_format="xlsx",
        rows=12,
        params="stage=mql",
        masked=True,
        job_id=5,
        action=EXPORT_DOWNLOAD_ACTION,
    )
    client.force_login(org["ada"])
    rows = rows_of(text(client.get(AUDIT_URL, {"action": EXPORT_DOWNLOAD_ACTION})))
    assert len(rows) == 1 and "Download export" in rows[0] and "My MQLs this week" in rows[0]
