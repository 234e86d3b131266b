"""Exports of the sales workspace's lists, through the admin (HTTP) and the export services.

The organisation and its people come from tests/sales/conftest.py: reps Rita and Ravi (Inbound),
rep Erin (Enterprise), manager Mona (Inbound), marketer Mark, editor Eddie, administrator Ada; two
people owned by each rep, one owned by nobody.
"""

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.db.models import Max
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry

from leads.models import Person
from sales.audit import EXPORT_DOWNLOAD_ACTION
from sales.exports import export_button, jobs, rows, services, storage, writers
from sales.exports.writers import escape_formula
from sales.models import ExportJob
from sales.roles import SALES_REP
from tests.factories.leads import CompanyFactory, LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db

NEW = "/admin/sales/exports/new/"
EXPORT = "leadforms.export"
TRICKY = {
    "hyperlink": '=HYPERLINK("http://evil.example/?x=1","Click, me")',
    "plus": "+1",
    "minus": "-2+3",
    "at": "@SUM(A1:A2)",
    "tab": "\tTabbed",
    "cr": "\rReturned",
}


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.SALES_EXPORT_ROOT = str(tmp_path / "exports")
    return tmp_path / "exports"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (queueing the job) as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def post_export(client, list_name="people", *, params="", columns=None, file_format="csv", title="", mask=False):
    data = {"list": list_name, "params": params, "title": title, "format": file_format}
    if columns is None:
        data["use_default_columns"] = "1"
    else:
        data["columns"] = columns
    if mask:
        data["mask_personal_data"] = "on"
    return client.post(NEW, data)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_table(response) -> list[list[str]]:
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf"), "the BOM Excel needs to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_table(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def as_dicts(table) -> list[dict]:
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def export_entries(action=EXPORT):
    return list(ModelLogEntry.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def tricky(book, org):
    """People whose data would break a careless file: unicode, commas, quotes, line breaks, formulas."""
    company = CompanyFactory(name=TRICKY["hyperlink"], industry="Bänking, «Retail»", country="JP")
    people = {
        "zoe": PersonFactory(
            email="zoe@tokyo.example",
            first_name="Zoë",
            last_name="東京 🚀",
            job_title='Head of "Growth", EMEA\nsecond line',
            company=company,
            fit_score=-5,
            interest_score=12.345,
            owner=org["rita"],
            phone="+81312345678",
        )
    }
    for key, value in TRICKY.items():
        if key != "hyperlink":
            people[key] = PersonFactory(
                email=f"{key}@tricky.example", first_name=value, last_name="Plain", owner=org["rita"], company=company
            )
    return people


# --- What is in the file -----------------------------------------------------------------------


def test_csv_keeps_unicode_commas_quotes_and_line_breaks_and_escapes_formulas(client, org, tricky):
    client.force_login(org["ada"])
    response = post_export(
        client,
        params="q=tricky.example",
        columns=["pid", "first_name", "last_name", "email", "job_title", "company", "fit", "score"],
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = {row["Email"]: row for row in as_dicts(csv_table(response))}
    assert set(rows) == {f"{key}@tricky.example" for key in TRICKY if key != "hyperlink"}
    for key, value in TRICKY.items():
        if key != "hyperlink":
            assert rows[f"{key}@tricky.example"]["First name"] == "'" + value
            assert rows[f"{key}@tricky.example"]["Company"] == "'" + TRICKY["hyperlink"]

    response = post_export(
        client, params="q=Zoë", columns=["first_name", "last_name", "job_title", "company", "fit", "score"]
    )
    (zoe,) = as_dicts(csv_table(response))
    assert zoe == {
        "First name": "Zoë",
        "Last name": "東京 🚀",
        "Job title": 'Head of "Growth", EMEA\nsecond line',
        "Company": "'" + TRICKY["hyperlink"],
        "Fit": "-5",
        "Score (fit + interest)": "7",
    }


def test_xlsx_keeps_unicode_escapes_formulas_and_numbers_stay_numbers(client, org, tricky):
    client.force_login(org["ada"])
    response = post_export(
        client,
        params="q=tricky.example",
        file_format="xlsx",
        columns=["first_name", "email", "company", "fit", "created"],
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = {row["Email"]: row for row in as_dicts(xlsx_table(response))}
    for key, value in TRICKY.items():
        if key != "hyperlink":  # a line break in an Excel cell is LF (XML would turn a CR into one anyway)
            assert rows[f"{key}@tricky.example"]["First name"] == "'" + value.replace("\r", "\n")
            assert rows[f"{key}@tricky.example"]["Company"] == "'" + TRICKY["hyperlink"]
            assert rows[f"{key}@tricky.example"]["Fit"] == 0
    assert all(hasattr(row["Created"], "year") for row in rows.values()), "dates are dates in Excel"

    response = post_export(
        client, params="q=Zoë", file_format="xlsx", columns=["first_name", "last_name", "job_title", "fit", "interest"]
    )
    assert as_dicts(xlsx_table(response)) == [
        {
            "First name": "Zoë",
            "Last name": "東京 🚀",
            "Job title": 'Head of "Growth", EMEA\nsecond line',
            "Fit": -5,
            "Interest": 12,
        }
    ]


@pytest.fixture
def named_industries(org):
    """Banking is named by the site's taxonomy (cms's Industry snippet); real_estate by nobody."""
    from tests.factories.snippets import IndustryFactory

    IndustryFactory(name="Banking & Financial Services", slug="banking")
    cache.clear()  # the names are cached for a minute: an earlier test's must not hide these
    bank = CompanyFactory(name="Named Bank", industry="banking")
    estate = CompanyFactory(name="Estate Co", industry="real_estate")
    return {
        "half": PersonFactory(
            email="half@named.example", company=bank, fit_score=10, interest_score=12.5, owner=org["rita"]
        ),
        "low": PersonFactory(
            email="low@named.example", company=estate, fit_score=-5, interest_score=2.4, owner=org["rita"]
        ),
    }


def test_exports_name_industries_and_give_scores_in_whole_points(client, org, named_industries):
    """The list and the person's page read 23 for fit 10 + interest 12.5, and "Banking & Financial
    Services" for `banking`: so does the file (it showed banking and 22.5)."""
    client.force_login(org["ada"])
    columns = ["email", "industry", "fit", "interest", "score"]
    rows = {
        row["Email"]: row
        for row in as_dicts(csv_table(post_export(client, params="q=@named.example", columns=columns)))
    }
    assert rows["half@named.example"] == {
        "Email": "half@named.example",
        "Industry": "Banking & Financial Services",
        "Fit": "10",
        "Interest": "13",
        "Score (fit + interest)": "23",
    }
    assert rows["low@named.example"] == {
        "Email": "low@named.example",
        "Industry": "Real estate",
        "Fit": "-5",
        "Interest": "2",
        "Score (fit + interest)": "-3",
    }
    sheet = {
        row["Email"]: row
        for row in as_dicts(
            xlsx_table(post_export(client, params="q=@named.example", columns=columns, file_format="xlsx"))
        )
    }
    assert sheet["half@named.example"]["Industry"] == "Banking & Financial Services"
    assert (sheet["half@named.example"]["Interest"], sheet["half@named.example"]["Score (fit + interest)"]) == (13, 23)
    companies = {
        row["Name"]: row["Industry"]
        for row in as_dicts(csv_table(post_export(client, "companies", params="q=named", columns=["name", "industry"])))
    }
    assert companies == {"Named Bank": "Banking & Financial Services"}


def test_the_export_form_says_what_an_unfiltered_list_holds(client, org, book):
    client.force_login(org["rita"])
    for list_name, words, heading in (
        ("people", "None: everybody you may see", "<h2>People</h2>"),
        ("companies", "None: every company you may see", "<h2>Companies</h2>"),
        ("leads", "None: every lead you may see", "<h2>Leads</h2>"),
    ):
        html = client.get(f"{NEW}?list={list_name}").content.decode()
        assert words in html and "every people" not in html, list_name
        assert heading in html, list_name  # the list's name, not its internal key ("people")


def test_xlsx_survives_characters_xml_cannot_hold(client, org, book):
    PersonFactory(email="ctrl@odd.example", first_name="Bell\x07and\x01Null", owner=org["rita"])
    client.force_login(org["ada"])
    response = post_export(client, params="q=odd.example", file_format="xlsx", columns=["first_name"])
    assert as_dicts(xlsx_table(response)) == [{"First name": "BellandNull"}]


def test_formula_escaping_rules():
    for text in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", " =1", "\t=1+1", "\n@x"):
        assert escape_formula(text) == "'" + text
    for text in ("", "Zoë", "1-2", " 1", "a=b"):
        assert escape_formula(text) == text


def test_dates_are_written_in_the_site_time_zone(client, org, book, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    person = book["rita1"]
    Person.objects.filter(pk=person.pk).update(
        created_at=timezone.make_aware(timezone.datetime(2026, 7, 1, 10, 30, 5), timezone.get_fixed_timezone(0))
    )
    client.force_login(org["rita"])
    rows = as_dicts(csv_table(post_export(client, columns=["pid", "created"])))
    assert {"PID": f"PID-{person.pk}", "Created": "2026-07-01 12:30:05"} in rows


def written_xlsx(rows, headings=("A", "B", "C", "D", "E", "F"), title="Export"):
    """write_xlsx's file for these (converted) rows, opened in full (styles, panes, dimension) and as zip."""
    buffer = io.BytesIO()
    assert writers.write_xlsx(buffer, list(headings), [rows], title=title) == len(rows)
    return openpyxl.load_workbook(buffer).worksheets[0], zipfile.ZipFile(buffer)


def test_xlsx_cells_are_excel_dates_numbers_and_text_as_written(settings):
    """Our own sheet rows (XlsxWriter makes the workbook around them): each kind of cell as Excel reads it."""
    settings.TIME_ZONE = "Europe/Berlin"
    convert = writers.xlsx_converters()
    text, moment = convert["text"], convert["moment"]
    utc = timezone.get_fixed_timezone(0)
    rows = [
        [text("a & b <c>"), moment(timezone.datetime(2026, 7, 1, 10, 30, 5, tzinfo=utc)), 7, None, " lead ", 2.5],
        ["_x0041_", date(2026, 7, 1), -3, text(""), True, Decimal("1.25")],
    ]
    sheet, package = written_xlsx(rows, title="Q1: 'hot' 🚀 leads, every one of them")
    assert sheet.title == "Q1 'hot' 🚀 leads, every one of" and sheet.freeze_panes == "A2"
    assert sheet.dimensions == "A1:F3" and all(cell.font.b for cell in sheet[1])
    first, second = ([cell.value for cell in row] for row in sheet.iter_rows(min_row=2))
    assert first == ["a & b <c>", timezone.datetime(2026, 7, 1, 12, 30, 5), 7, None, " lead ", 2.5]
    assert second[1:] == [timezone.datetime(2026, 7, 1), -3, None, True, 1.25]
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm:ss" and sheet["B3"].number_format == "yyyy-mm-dd"
    # Excel would read a literal _x0041_ as "A": it is escaped as Excel escapes it.
    assert "<t>_x005F_x0041_</t>" in package.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_text_is_capped_as_excel_counts_and_cleaned_of_what_xml_cannot_hold():
    assert len(writers.xlsx_text("x" * 40_000)) == writers.XLSX_MAX_CELL
    rockets = writers.xlsx_text("🚀" * 20_000)  # two UTF-16 units each, as Excel counts
    assert len(rockets) == writers.XLSX_MAX_CELL // 2 and rockets == "🚀" * len(rockets)
    assert writers.xlsx_text("Bell\x07 lone\ud800 and \uffff") == "Bell lone and "
    # A formula behind a character XML cannot hold is neutralised once that character is gone.
    assert writers.xlsx_text("\x07=1+1") == "'=1+1"
    text = writers.xlsx_converters()["text"]
    cells = [text("x" * 40_000), text("🚀" * 20_000), text("\x07=1+1"), text("a\r\nb\rc"), text("\x00\x01")]
    sheet, _ = written_xlsx([cells], headings=("Long", "Rockets", "Formula", "Lines", "Nothing left"))
    assert [cell.value for cell in sheet[2]] == ["x" * writers.XLSX_MAX_CELL, rockets, "'=1+1", "a\nb\nc", None]


def test_xlsx_writer_refuses_more_rows_than_a_sheet_holds(monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
    with pytest.raises(writers.TooManyRowsForExcel, match="CSV"):
        writers.write_xlsx(io.BytesIO(), ["A"], [[["1"], ["2"]], [["3"], ["4"]]])


# --- Who gets what ---------------------------------------------------------------------------


def test_a_rep_exports_only_their_own_people(client, org, book):
    client.force_login(org["rita"])
    rows = as_dicts(csv_table(post_export(client)))
    assert sorted(row["PID"] for row in rows) == sorted(f"PID-{book[k].pk}" for k in ("rita1", "rita2"))


def test_a_manager_exports_their_team_and_an_administrator_everybody(client, org, book):
    client.force_login(org["mona"])
    rows = as_dicts(csv_table(post_export(client)))
    assert sorted(row["PID"] for row in rows) == sorted(
        f"PID-{book[k].pk}" for k in ("rita1", "rita2", "ravi1", "ravi2")
    )
    client.force_login(org["ada"])
    assert len(as_dicts(csv_table(post_export(client)))) == len(book)


def test_email_and_phone_are_masked_for_a_rep_without_the_personal_data_right(client, org, book):
    client.force_login(org["rita"])
    response = post_export(client, columns=["email", "phone", "first_name"])  # no mask asked: masked anyway
    rows = as_dicts(csv_table(response))
    assert {row["Email"] for row in rows} == {"r***@meridian-bank.example"}
    assert {row["Phone"] for row in rows} == {"'+49 *** 56"}
    assert b"rita.lead1" not in body(post_export(client, file_format="xlsx", columns=["email", "phone"]))
    assert all(entry.data["masked"] for entry in export_entries())


def test_a_manager_sees_email_and_phone_unless_they_ask_for_a_masked_file(client, org, book):
    client.force_login(org["mona"])
    rows = as_dicts(csv_table(post_export(client, columns=["email", "phone"])))
    assert "rita.lead1@meridian-bank.example" in {row["Email"] for row in rows}
    assert {row["Phone"] for row in rows} == {"'+4930123456"}
    masked = as_dicts(csv_table(post_export(client, columns=["email", "phone"], mask=True)))
    assert {row["Email"] for row in masked} == {"r***@meridian-bank.example"}
    assert [entry.data["masked"] for entry in export_entries()] == [False, True]


@pytest.mark.parametrize("who", ["eddie", "no_export_right"])
def test_exporting_is_refused_without_the_export_right(client, org, book, make_role_user, who):
    user = org["eddie"] if who == "eddie" else make_role_user("nox", SALES_REP)
    if who == "no_export_right":
        Group.objects.get(name=SALES_REP).permissions.remove(Permission.objects.get(codename="export_people"))
    client.force_login(user)
    assert "My exports" not in client.get("/admin/").content.decode()
    for response in (client.get(f"{NEW}?list=people"), post_export(client), client.get("/admin/sales/exports/")):
        assert response.status_code == 302 and response["Location"] == "/admin/"
    assert export_entries() == []
    request = RequestFactory().get("/admin/leads/person/")
    request.user = user
    assert export_button(request, "people") is None


def test_only_the_chosen_columns_in_the_registry_order(client, org, book):
    client.force_login(org["rita"])
    table = csv_table(post_export(client, columns=["email", "pid"]))
    assert table[0] == ["PID", "Email"]
    assert all(len(row) == 2 for row in table)
    assert len(xlsx_table(post_export(client, columns=["grade"], file_format="xlsx"))[0]) == 1


def test_default_columns_and_what_each_list_offers(client, org, book):
    client.force_login(org["rita"])
    header = csv_table(post_export(client))[0]
    assert header[:4] == ["PID", "First name", "Last name", "Email"]
    for heading in (
        "Company",
        "Industry",
        "Company size",
        "Stage",
        "Grade",
        "Fit",
        "Interest",
        "Score (fit + interest)",
        "Owner",
        "Consent",
        "Do not contact",
        "Created",
    ):
        assert heading in header
    assert "Converted" not in header and "Last activity" not in header


def test_companies_and_leads_lists_export_in_scope(client, org, book):
    LeadFactory(person=book["rita1"], origin_label="State of RevOps", utm_campaign="=cmd|' /C calc'!A0")
    LeadFactory(person=book["erin1"], origin_label="Not Rita's")
    client.force_login(org["rita"])
    companies = as_dicts(csv_table(post_export(client, "companies")))
    assert sorted(row["Name"] for row in companies) == ["Atlas Health", "Meridian Bank"]
    (lead,) = as_dicts(csv_table(post_export(client, "leads")))
    assert lead["Origin"] == "State of RevOps" and lead["PID"] == f"PID-{book['rita1'].pk}"
    assert lead["Email"] == "r***@meridian-bank.example"
    assert lead["UTM campaign"] == "'=cmd|' /C calc'!A0"


def test_the_last_activity_column_and_the_converted_column_when_the_rows_carry_it(org, book):
    from tests.factories.leads import InteractionFactory

    InteractionFactory(person=book["rita1"], occurred_at=timezone.now() - timedelta(days=3))
    latest = InteractionFactory(person=book["rita1"], occurred_at=timezone.now() - timedelta(days=1))
    lead = LeadFactory(person=book["rita1"])
    queryset = Person.objects.filter(pk=book["rita1"].pk).annotate(converted_at=Max("leads__received_at"))
    spec = services.spec_for(
        org["ada"],
        list_name="people",
        params="",
        title="",
        file_format="csv",
        mask=False,
        columns=["pid", "converted", "last_activity"],
        queryset=queryset,
    )
    output = io.BytesIO()
    assert services.write_file(output, spec, queryset) == 1
    (row,) = as_dicts(list(csv.reader(io.StringIO(output.getvalue().decode("utf-8-sig")))))
    to_text = lambda moment: timezone.localtime(moment).replace(tzinfo=None).isoformat(" ", "seconds")  # noqa: E731
    assert row == {
        "PID": f"PID-{book['rita1'].pk}",
        "Converted": to_text(lead.received_at),
        "Last activity": to_text(latest.occurred_at),
    }


# --- Filters, names, bad input ---------------------------------------------------------------


def test_the_export_follows_the_lists_filters_and_search(client, org, book):
    Person.objects.filter(pk=book["rita2"].pk).update(stage="sql")
    client.force_login(org["mona"])
    rows = as_dicts(csv_table(post_export(client, params="stage=sql")))
    assert [row["PID"] for row in rows] == [f"PID-{book['rita2'].pk}"]
    rows = as_dicts(csv_table(post_export(client, params="q=RaviLead1")))
    assert [row["PID"] for row in rows] == [f"PID-{book['ravi1'].pk}"]
    assert export_entries()[0].data["filters"] == "stage=sql"


def test_the_form_shows_the_filters_in_words_the_rows_and_the_masking(client, org, book, django_assert_max_num_queries):
    client.force_login(org["rita"])
    with django_assert_max_num_queries(15):
        response = client.get(f"{NEW}?list=people&stage=mql&q=Lead&p=3&ordering=-grade")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Marketing qualified (MQL)" in html and "“Lead”" in html
    assert re.search(r"<td>2 \(the people you own\)</td>", html)
    assert "Masked (you may not see personal data)" in html
    assert 'name="params" value="stage=mql&amp;q=Lead"' in html, "paging and sorting are not filters"
    assert re.search(r'value="email"[^>]*checked', html) and not re.search(r'value="last_activity"[^>]*checked', html)
    assert export_entries() == [], "showing the form exports nothing"


def test_file_names_carry_the_lists_name_and_the_date(client, org, book):
    client.force_login(org["rita"])
    today = timezone.localdate().isoformat()
    response = post_export(client)
    assert response["Content-Disposition"] == f'attachment; filename="people-{today}.csv"'
    response = post_export(client, title="Whitepaper: State of RevOps", file_format="xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="whitepaper-state-of-revops-{today}.xlsx"'
    assert post_export(client, title="東京")["Content-Disposition"].endswith(f'"people-{today}.csv"')
    assert (
        services.file_name_for("Zoë's MQLs this week", "people", "csv", day=date(2026, 12, 1))
        == "zoes-mqls-this-week-2026-12-01.csv"
    )
    assert services.file_name_for("", "leads", "xlsx", day=date(2026, 12, 1)) == "leads-2026-12-01.xlsx"


def errors_shown(html) -> dict[str, str]:
    """What the export page says is wrong, by the field it names: a form field's own error (format,
    columns), or a problem above the form that starts with the field's name ("list: ...", "Stage: ...")."""
    shown = {
        field: unescape(message)
        for field, message in re.findall(
            r'w-field--error" data-field data-contentpath="(\w+)">.*?<p class="error-message">\s*(.*?)\s*</p>',
            html,
            re.S,
        )
    }
    for problem in re.findall(r'<div class="help-block help-critical" role="alert">(.*?)</div>', html, re.S):
        field, _, message = unescape(problem).partition(": ")
        shown[field] = message
    return shown


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"list": "../../etc/passwd"}, "list", "there is no list called '../../etc/passwd'"),
        ({"list": "people", "params": "stage=bogus"}, "Stage", "bogus is not one of the available choices"),
        ({"list": "people", "format": "exe"}, "format", "exe is not one of the available choices"),
        ({"list": "people", "columns": ["password"]}, "columns", "password is not one of the available choices"),
        ({"list": "people", "use_default_columns": ""}, "columns", "Choose at least one column."),
        ({"list": "people", "params": "q=" + "x" * 5000}, "params", "the filters are longer than 4000 characters"),
    ],
)
def test_bad_input_gets_a_clear_error_naming_the_field(client, org, book, data, field, message):
    """The page always holds the words list, params, format, columns and Stage (its hidden inputs, the
    column choices): the error itself must name the field, with what is wrong."""
    client.force_login(org["rita"])
    data = {"format": "csv", "use_default_columns": "1", **data}
    if not data["use_default_columns"]:
        del data["use_default_columns"]
    response = client.post(NEW, data)
    assert response.status_code == 400
    shown = errors_shown(response.content.decode())
    assert list(shown) == [field] and message in shown[field], shown
    assert export_entries() == []


def test_hostile_titles_and_get_parameters(client, org, book):
    client.force_login(org["rita"])
    assert client.get(f"{NEW}?list=nope").status_code == 400
    assert client.get(f"{NEW}?list=people&stage=bogus").status_code == 400
    response = post_export(client, title='<script>alert(1)</script>\r\n"; rm -rf' + "x" * 300)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\n" not in disposition and "<" not in disposition and '";' not in disposition
    assert len(export_entries()[0].data["list"]) <= services.MAX_TITLE_LENGTH
    assert client.get("/admin/sales/exports/999999/").status_code == 404
    assert client.get("/admin/sales/exports/1/retry/").status_code in (404, 405)


@pytest.mark.parametrize(
    "params,label,shown,rows",
    [
        ("industry=banking", "Industry", "Banking", 3),
        ("owner=me", "Owner", "Me", 1),
        ("owner={rita}", "Owner", "Rita", 2),
        ("source=form:{form}", "Source (whitepaper, event or form)", "Form: Contact sales", 1),
        ("source=content:{content}", "Source (whitepaper, event or form)", "Whitepaper: State of RevOps", 1),
        ("source=event:{event}", "Source (whitepaper, event or form)", "Event: RevOps Meetup", 1),
    ],
)
def test_lists_filtered_by_a_choice_built_on_use_export_and_describe_their_filters(
    client, org, book, settings, on_commit, params, label, shown, rows
):
    """The owner, source and industry filters get their choices from a callable (built only when
    used); django-filter 26 answered len() on it with a TypeError, a 500 on the export page, the
    background job's page and every export of such a list."""
    origins = {
        "form": ("form", "Contact sales"),
        "content": ("content", "State of RevOps"),
        "event": ("event", "RevOps Meetup"),
    }
    ids = {}
    for number, (name, (origin_type, origin_label)) in enumerate(origins.items(), start=70):
        LeadFactory(person=book["rita1"], origin_type=origin_type, origin_id=str(number), origin_label=origin_label)
        ids[name] = number
    params = params.format(rita=org["rita"].pk, **ids)
    Person.objects.filter(pk=book["nobody"].pk).update(owner=org["ada"])
    cache.clear()  # the filters' choices are cached for a minute: an earlier test's must not hide these
    client.force_login(org["ada"])

    page = client.get(f"{NEW}?list=people&{params}")
    assert page.status_code == 200
    assert f"<li>{label}: {shown}</li>" in page.content.decode()  # the filter in words, not only its column

    response = post_export(client, params=params)
    assert response.status_code == 200 and len(as_dicts(csv_table(response))) == rows

    settings.SALES_EXPORT_INLINE_MAX_ROWS = 0  # the same list as a background job, and its page
    with on_commit():
        response = post_export(client, params=params)
    job = ExportJob.objects.get()
    assert (job.status, job.rows_total) == ("done", rows)
    detail = client.get(f"/admin/sales/exports/{job.pk}/")
    assert detail.status_code == 200 and f"<li>{label}: {shown}</li>" in detail.content.decode()


# --- Audit -----------------------------------------------------------------------------------


def test_every_export_is_audit_logged_once_with_its_rows_and_filters(client, org, book):
    client.force_login(org["mona"])
    post_export(client, params="stage=mql", title="My MQLs")
    body(post_export(client, params="grade=A1", file_format="xlsx"))
    first, second = export_entries()
    assert (first.user_id, first.data["rows"], first.data["filters"], first.data["list"], first.data["format"]) == (
        org["mona"].pk,
        4,
        "stage=mql",
        "My MQLs",
        "csv",
    )
    assert (second.data["rows"], second.data["filters"], second.data["format"]) == (2, "grade=A1", "xlsx")


# --- Background jobs -------------------------------------------------------------------------


def test_a_big_export_runs_in_the_background_with_progress_and_a_download_for_its_owner(
    client, org, book, settings, on_commit
):
    settings.SALES_EXPORT_INLINE_MAX_ROWS = 3
    settings.SALES_EXPORT_BATCH_SIZE = 2
    settings.SALES_EXPORT_PROGRESS_EVERY = 2
    client.force_login(org["ada"])
    with CaptureQueriesContext(connection) as queries, on_commit():
        response = post_export(client, params="stage=mql", title="All MQLs")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/sales/exports/{job.pk}/"
    assert (job.status, job.rows_total, job.rows_done, job.percent_done, job.requested_by) == (
        "done",
        6,
        6,
        100,
        org["ada"],
    )
    progress_updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "sales_exportjob" in q["sql"] and "rows_done" in q["sql"]
    ]
    assert len(progress_updates) >= 3, "rows_done is saved as the batches go"
    assert storage.export_root() in str(storage.path_of(job.file_name))
    assert not str(storage.path_of(job.file_name)).startswith(str(settings.MEDIA_ROOT))

    (entry,) = export_entries()
    assert (entry.data["rows"], entry.data["job"], entry.data["filters"]) == (6, job.pk, "stage=mql")

    detail = client.get(f"/admin/sales/exports/{job.pk}/")
    assert detail.status_code == 200 and f"/admin/sales/exports/{job.pk}/download/" in detail.content.decode()
    fragment = client.get(f"/admin/sales/exports/{job.pk}/progress/").content.decode()
    assert "100%" in fragment and "hx-trigger" not in fragment, "done: the polling stops"

    download = client.get(f"/admin/sales/exports/{job.pk}/download/")
    assert download.status_code == 200
    today = timezone.localdate().isoformat()
    assert download["Content-Disposition"] == f'attachment; filename="all-mqls-{today}.csv"'
    assert len(as_dicts(csv_table(download))) == 6
    (downloaded,) = export_entries(EXPORT_DOWNLOAD_ACTION)
    assert (downloaded.user_id, downloaded.data["rows"], downloaded.data["job"]) == (org["ada"].pk, 6, job.pk)
    assert len(export_entries()) == 1, "the download is its own entry, not another export"

    client.force_login(org["rita"])
    for url in (
        f"/admin/sales/exports/{job.pk}/",
        f"/admin/sales/exports/{job.pk}/download/",
        f"/admin/sales/exports/{job.pk}/progress/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/admin/sales/exports/{job.pk}/retry/").status_code == 404
    assert job.title not in client.get("/admin/sales/exports/").content.decode()


def test_a_reps_background_export_is_hers_alone_and_masked(
    client, org, book, settings, on_commit, django_assert_max_num_queries
):
    settings.SALES_EXPORT_INLINE_MAX_ROWS = 1
    client.force_login(org["rita"])
    with on_commit():
        post_export(client, file_format="xlsx", columns=["pid", "email"])
    job = ExportJob.objects.get()
    assert (job.status, job.rows_done, job.masked) == ("done", 2, True)
    with django_assert_max_num_queries(12):
        assert job.title in client.get("/admin/sales/exports/").content.decode()
    assert "My exports" in client.get("/admin/").content.decode(), "in the Sales menu"
    rows = as_dicts(xlsx_table(client.get(f"/admin/sales/exports/{job.pk}/download/")))
    assert {row["Email"] for row in rows} == {"r***@meridian-bank.example"}
    client.force_login(org["ravi"])
    assert client.get(f"/admin/sales/exports/{job.pk}/download/").status_code == 404
    client.force_login(org["ada"])  # an administrator may fetch anybody's
    assert client.get(f"/admin/sales/exports/{job.pk}/download/").status_code == 200


def test_a_queued_job_shows_a_polling_progress_fragment(client, org, book):
    job = ExportJob.objects.create(requested_by=org["rita"], list_name="people", title="people", columns=["pid"])
    client.force_login(org["rita"])
    fragment = client.get(f"/admin/sales/exports/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and f"/admin/sales/exports/{job.pk}/progress/" in fragment


def test_the_job_rechecks_rights_and_scope_when_it_runs_and_a_failed_job_can_be_retried(client, org, book, on_commit):
    rita = org["rita"]
    job = ExportJob.objects.create(
        requested_by=rita, list_name="people", title="Mine", columns=["pid", "email"], masked=False, params="stage=mql"
    )
    rep_group = Group.objects.get(name=SALES_REP)
    export_right = Permission.objects.get(codename="export_people")
    rep_group.permissions.remove(export_right)
    assert services.export_job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "export" in job.error and not job.file_name
    assert export_entries() == []

    rep_group.permissions.add(export_right)
    Person.objects.filter(pk=book["rita2"].pk).update(owner=org["erin"])  # reassigned meanwhile
    client.force_login(rita)
    assert job.error in client.get(f"/admin/sales/exports/{job.pk}/").content.decode()
    with on_commit():
        response = client.post(f"/admin/sales/exports/{job.pk}/retry/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.masked) == ("done", 1, True), "her scope and her rights of now"
    rows = as_dicts(csv_table(client.get(f"/admin/sales/exports/{job.pk}/download/")))
    assert rows == [{"PID": f"PID-{book['rita1'].pk}", "Email": "r***@meridian-bank.example"}]


def test_a_download_of_an_unmasked_file_is_refused_to_someone_who_lost_the_personal_data_right(
    client, org, book, settings, on_commit
):
    settings.SALES_EXPORT_INLINE_MAX_ROWS = 1
    mona = org["mona"]
    client.force_login(mona)
    with on_commit():
        post_export(client, columns=["email"])
    job = ExportJob.objects.get()
    assert job.masked is False
    Group.objects.get(name="Sales manager").permissions.remove(Permission.objects.get(codename="view_personal_data"))
    response = client.get(f"/admin/sales/exports/{job.pk}/download/")
    assert response.status_code == 302 and response["Location"] == f"/admin/sales/exports/{job.pk}/"
    assert export_entries(EXPORT_DOWNLOAD_ACTION) == []


def test_an_excel_export_too_big_for_a_sheet_fails_clearly(org, book, monkeypatch):
    monkeypatch.setattr(jobs, "XLSX_MAX_ROWS", 3)
    job = ExportJob.objects.create(
        requested_by=org["ada"], list_name="people", title="people", columns=["pid"], file_format="xlsx"
    )
    assert services.export_job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert "CSV" in job.error and "7" in job.error


# --- One click, the header button, housekeeping ------------------------------------------------


def test_the_one_click_include_posts_the_lists_default_export(client, org, book):
    request = RequestFactory().get("/admin/sales/lead-lists/")
    request.user = org["rita"]
    html = render_to_string(
        "sales/exports/_one_click.html",
        {"list_name": "people", "params": QueryDict("stage=mql"), "title": "Whitepaper: State of RevOps"},
        request=request,
    )
    assert 'name="csrfmiddlewaretoken"' in html and f'action="{NEW}"' in html
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert fields["params"] == "stage=mql" and fields["list"] == "people"
    assert re.findall(r'name="format" value="(\w+)"', html) == ["csv", "xlsx"]
    client.force_login(org["rita"])
    response = client.post(NEW, {**fields, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'whitepaper-state-of-revops-{timezone.localdate()}.xlsx"')
    assert xlsx_table(response)[0][:4] == ["PID", "First name", "Last name", "Email"]


def test_a_gated_content_lead_list_exports_who_converted_and_when(client, org, book):
    first = LeadFactory(
        person=book["rita1"], origin_type="content", origin_id="42", received_at=timezone.now() - timedelta(days=2)
    )
    LeadFactory(person=book["rita1"], origin_type="content", origin_id="42")  # came back: the first one counts
    LeadFactory(person=book["rita2"], origin_type="content", origin_id="43")
    LeadFactory(person=book["erin1"], origin_type="content", origin_id="42")  # not hers
    client.force_login(org["rita"])
    response = client.post(
        NEW,
        {
            "list": "people",
            "params": "source=content:42",
            "title": "Whitepaper State of RevOps",
            "use_default_columns": "1",
            "format": "csv",
        },
    )
    assert response["Content-Disposition"].endswith(f'"whitepaper-state-of-revops-{timezone.localdate()}.csv"')
    (row,) = as_dicts(csv_table(response))
    assert row["PID"] == f"PID-{book['rita1'].pk}" and row["Email"] == "r***@meridian-bank.example"
    assert row["Converted"] == timezone.localtime(first.received_at).replace(tzinfo=None).isoformat(" ", "seconds")
    assert export_entries()[0].data["filters"] == "source=content:42"


def test_the_export_button_carries_the_lists_filters(org):
    request = RequestFactory().get("/admin/leads/person/?stage=mql&p=2&ordering=grade&q=Zo%C3%AB")
    request.user = org["rita"]
    button = export_button(request, "people", title="My MQLs")
    assert button.label == "Export"
    assert button.url.startswith(f"{NEW}?")
    assert QueryDict(button.url.split("?", 1)[1]).dict() == {
        "stage": "mql",
        "q": "Zoë",
        "list": "people",
        "title": "My MQLs",
    }


def test_old_export_files_are_pruned(org, book, export_root, settings, on_commit):
    settings.SALES_EXPORT_INLINE_MAX_ROWS = 0
    settings.SALES_EXPORT_KEEP_DAYS = 7
    with on_commit():
        old = services.export_job_start(
            org["ada"],
            services.spec_for(
                org["ada"], list_name="people", params="", title="", columns=None, file_format="csv", mask=False
            ),
        )
        fresh = services.export_job_start(
            org["ada"],
            services.spec_for(
                org["ada"], list_name="people", params="", title="", columns=None, file_format="csv", mask=False
            ),
        )
    old.refresh_from_db()
    fresh.refresh_from_db()
    old_path, fresh_path = storage.path_of(old.file_name), storage.path_of(fresh.file_name)
    assert old_path.exists() and fresh_path.exists()
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    leftover = export_root / "export-99-abcdef.csv.part"
    leftover.write_text("half")
    eight_days_ago = (timezone.now() - timedelta(days=8)).timestamp()
    import os

    os.utime(leftover, (eight_days_ago, eight_days_ago))
    (export_root / "notes.txt").write_text("not ours")
    os.utime(export_root / "notes.txt", (eight_days_ago, eight_days_ago))

    assert services.exports_prune() == 2
    assert not old_path.exists() and fresh_path.exists() and not leftover.exists()
    assert (export_root / "notes.txt").exists(), "only export files are touched"
    old.refresh_from_db()
    assert old.file_name == ""
    client_page = render_to_string("sales/exports/_progress.html", {"job": old})
    assert "removed" in client_page


# --- Reading ahead on PostgreSQL -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_next_batch_is_read_ahead_in_a_thread_with_the_same_rows(org, book, settings):
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("reading ahead is for PostgreSQL (a second connection must see the same committed rows)")
    settings.SALES_EXPORT_BATCH_SIZE = 2
    for n in range(7):
        PersonFactory(email=f"more{n}@tricky.example", first_name=TRICKY["hyperlink"], owner=org["ada"])
    spec = services.spec_for(
        org["ada"], list_name="people", params="", title="", columns=None, file_format="csv", mask=False
    )
    queryset = services.export_rows("people", user=org["ada"], params=spec.params)
    threads = threading.active_count()

    settings.SALES_EXPORT_PREFETCH = False
    alone = io.BytesIO()
    services.write_file(alone, spec, queryset)
    settings.SALES_EXPORT_PREFETCH = True
    assert rows._may_prefetch("default")
    ahead = io.BytesIO()
    assert services.write_file(ahead, spec, queryset) == len(book) + 7
    assert ahead.getvalue() == alone.getvalue()

    batches = services.iter_batches(queryset, services.row_plan_for(spec, queryset))
    next(batches)
    assert threading.active_count() == threads + 1
    batches.close()  # a download cut short
    assert threading.active_count() == threads, "the reading thread stops with its consumer"


def test_the_prune_command_reports_what_it_removed(org, book, export_root, settings, on_commit):
    from django.core.management import call_command

    settings.SALES_EXPORT_INLINE_MAX_ROWS = 0
    with on_commit():
        job = services.export_job_start(
            org["ada"],
            services.spec_for(
                org["ada"], list_name="people", params="", title="", columns=None, file_format="csv", mask=False
            ),
        )
    job.refresh_from_db()
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=30))
    out = io.StringIO()
    call_command("prune_exports", stdout=out)
    assert out.getvalue().strip() == "Removed 1 export file(s)."
    assert not storage.path_of(job.file_name).exists()


def _export_button_title(html):
    match = re.search(r'href="(/admin/sales/exports/new/\?[^"]+)"', html)
    assert match, "no Export button"
    return QueryDict(match.group(1).split("?", 1)[1].replace("&amp;", "&")).get("title")


def test_the_export_of_a_lead_list_is_named_after_its_content(client, org, book):
    LeadFactory(person=book["rita1"], origin_type="content", origin_id="42", origin_label="State of RevOps")
    client.force_login(org["rita"])
    html = client.get("/admin/leads/person/?source=content:42").content.decode()
    assert _export_button_title(html) == "Whitepaper: State of RevOps"
    assert _export_button_title(client.get("/admin/leads/person/").content.decode()) is None


def test_the_export_of_a_saved_filter_is_named_after_it(client, org, book):
    from sales.models import SavedFilter

    SavedFilter.objects.create(owner=org["rita"], list_name="people", name="My MQLs", query="stage=mql")
    client.force_login(org["rita"])
    assert _export_button_title(client.get("/admin/leads/person/?stage=mql").content.decode()) == "My MQLs"


def test_my_exports_page_through_newest_first(client, org, book):
    for n in range(27):
        ExportJob.objects.create(
            requested_by=org["rita"], list_name="people", title=f"Export number {n:02d}", columns=["pid"]
        )
    client.force_login(org["rita"])
    first = client.get("/admin/sales/exports/").content.decode()
    assert "Export number 26" in first and "Export number 01" not in first
    assert 'href="?p=2">Older</a>' in first and "Page 1 of 2" in first and ">Newer<" not in first
    second = client.get("/admin/sales/exports/?p=2").content.decode()
    assert "Export number 01" in second and "Export number 26" not in second
    assert 'href="?p=1">Newer</a>' in second and ">Older<" not in second
