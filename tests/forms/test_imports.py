"""Lead imports in the admin: template, upload, mapping, preview, the background run, the summary."""

import csv
import io
import os

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from forms.imports import services
from forms.imports.mapping import TEMPLATE_COLUMNS, guess_mapping
from forms.imports.parsing import ImportFileError
from forms.models import LeadImport
from leads.models import Company, Interaction, Lead, Person
from tests.factories import CompanyFactory, PersonFactory
from tests.factories.imports import admin_user, csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Email", "First name", "Last name", "Company", "Phone", "Country", "Job title"]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.LEAD_IMPORT_ROOT = tmp_path / "private-imports"
    return settings.LEAD_IMPORT_ROOT


@pytest.fixture
def importer(client):
    user = admin_user("importer")
    client.force_login(user)
    client.user = user
    return client


def run_import(content: bytes, name="leads.csv", *, mapping=None, label="Trade fair"):
    """The service path the admin takes: upload, (mapping), preview, start (immediate backend)."""
    lead_import = services.import_upload(upload(content, name), name=label)
    if mapping is not None:
        assert services.import_set_mapping(lead_import, mapping) == []
    preview = services.import_preview(lead_import)
    lead_import = services.import_start(lead_import)
    return lead_import, preview


def summary_rows(lead_import):
    text = "".join(services.summary_csv_chunks(lead_import)).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


# -- template and mapping -----------------------------------------------------------------------


def test_template_download_has_our_columns_and_an_example_that_imports(importer):
    response = importer.get(reverse("lead_imports:template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == TEMPLATE_COLUMNS and len(rows) == 2
    lead_import, preview = run_import(response.content)
    assert preview.good == 1 and preview.bad == 0 and preview.warnings == 0
    assert lead_import.status == "done" and lead_import.created_count == 1
    person = Person.objects.get()
    assert person.email == "jane.doe@meridian-bank.de" and person.company.name == "Meridian Bank"
    assert person.phone == "+49301234567" and person.seniority == "director" and person.consent == "granted"


def test_mapping_is_guessed_from_headers_whatever_their_case_spelling_or_language():
    headers = [
        "E-mail",
        "Company name",
        "Vorname",
        "NACHNAME",
        " Telefon ",
        "Land",
        "Job Title",
        "Notes",
        "E-Mail (2)",
        "Prénom",
        "utm_campaign",
        "Mitarbeiter",
    ]
    assert guess_mapping(headers) == [
        "email",
        "company",
        "first_name",
        "last_name",
        "phone",
        "country",
        "job_title",
        "custom",
        "custom",
        "custom",
        "utm_campaign",
        "employees",
    ]
    assert guess_mapping(["Firma", "Email Address", "Full name"]) == ["company", "email", "full_name"]


def test_mapping_screen_guesses_and_refuses_a_mapping_without_email(importer):
    response = importer.post(
        reverse("lead_imports:upload"),
        {
            "file": upload(
                csv_bytes([["E-mail", "Firma", "Notes"], ["ana@northwind.io", "Northwind", "met at booth"]])
            ),
            "name": "Booth",
            "interaction_type": "imported",
        },
    )
    lead_import = LeadImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "lead_imports:mapping", args=[lead_import.pk]
    )
    html = importer.get(response["Location"]).content.decode()
    assert "met at booth" in html and 'value="email" selected' in html and 'value="company" selected' in html
    response = importer.post(response["Location"], {"column_0": "ignore", "column_1": "company", "column_2": "company"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose the column that holds the email address" in html
    assert "Company is chosen for more than one column: &#x27;Firma&#x27;, &#x27;Notes&#x27;" in html


# -- preview and bad rows -----------------------------------------------------------------------

BAD_FILE = [
    HEADER,
    ["ana.lima@northwind.io", "Ana", "Lima", "Northwind", "+49 30 1234567", "DE", "CMO"],
    ["not-an-email", "Bob", "Stone", "Stone AG", "", "DE", ""],
    ["", "Carla", "Nobody", "", "", "", ""],
    ["dan@northwind.io", "Dan", "Brook", "Northwind", "12345", "DE", ""],
    ["erin@meridian-bank.de", "Erin", "Kay", "Meridian", "", "Narnia", "x" * 200],
    ["test@northwind.io", "Test", "User", "Northwind", "", "", ""],
]


def test_preview_names_the_column_of_every_problem_and_counts_the_whole_file(importer):
    importer.post(
        reverse("lead_imports:upload"),
        {"file": upload(csv_bytes(BAD_FILE)), "name": "List", "interaction_type": "imported"},
    )
    lead_import = LeadImport.objects.get()
    response = importer.get(reverse("lead_imports:preview", args=[lead_import.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Email: email &#x27;not-an-email&#x27; is not valid" in html
    assert "Email: no email address given" in html
    assert "Phone: phone &#x27;12345&#x27; is" in html
    assert "Country: &#x27;Narnia&#x27; is not a known country" in html
    assert "Job title: longer than 150 characters; cut to 150." in html
    assert "Matches the test-data pattern" in html
    assert "<strong>1</strong> good rows" in html and "<strong>1</strong> rows with warnings" in html
    assert "<strong>4</strong> bad rows" in html
    lead_import.refresh_from_db()
    assert (lead_import.checked_good, lead_import.checked_warnings, lead_import.checked_bad) == (1, 1, 4)
    assert lead_import.status == "ready"


def test_a_file_with_bad_rows_imports_the_good_ones_and_reports_the_bad_ones():
    lead_import, _ = run_import(csv_bytes(BAD_FILE))
    assert lead_import.status == "done" and lead_import.rows_done == 6
    assert (lead_import.created_count, lead_import.updated_count, lead_import.rejected_count) == (2, 0, 4)
    assert lead_import.reason_counts == {"invalid_email": 1, "missing_email": 1, "invalid_phone": 1, "test_data": 1}
    # Every row is a lead of the import, raw row and mapped fields kept, nothing lost.
    leads = Lead.objects.filter(source="import", origin_label="Trade fair")
    assert leads.count() == 6 and set(leads.values_list("origin_type", flat=True)) == {"other"}
    lead = leads.get(person__email="erin@meridian-bank.de")
    assert lead.payload["Country"] == "Narnia" and '"job_title": "' + "x" * 150 + '"' in lead.mapped_fields
    assert lead.verdict == "clean" and lead.status == "processed"
    erin = Person.objects.get(email="erin@meridian-bank.de")
    assert erin.country == "" and len(erin.job_title) == 150
    assert not Person.objects.filter(first_name__in=["Bob", "Carla"]).exists()
    rows = {row["row"]: row for row in summary_rows(lead_import)}
    assert [row["outcome"] for row in rows.values()] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "created",
        "rejected",
    ]
    assert rows["3"]["reason"].startswith("Email: email 'not-an-email' is not valid")
    assert rows["4"]["reason"] == "Email: no email address given" and rows["4"]["person_id"] == ""
    assert rows["5"]["reason"].startswith("Phone: phone '12345'")
    assert "Country: 'Narnia' is not a known country" in rows["6"]["reason"]
    assert rows["6"]["person_id"] == str(erin.pk) and rows["6"]["lead_id"] == str(lead.pk)
    # The junk row still made its (flagged) person, as a form fill would; nobody to contact.
    assert Person.objects.get(email="test@northwind.io").is_test


def test_rows_repeating_an_email_update_the_same_person_and_are_reported():
    PersonFactory(email="kim@meridian-bank.de", email_key="kim@meridian-bank.de", job_title="Analyst")
    content = csv_bytes(
        [
            ["email", "first_name", "job_title"],
            ["lee@northwind.io", "Lee", "Engineer"],
            ["kim@meridian-bank.de", "Kim", ""],
            ["LEE+events@Northwind.io", "Lee", "Head of Engineering"],
            ["kim@meridian-bank.de", "Kimberly", "CFO"],
        ]
    )
    lead_import, preview = run_import(content)
    assert preview.repeats == 2
    assert (lead_import.created_count, lead_import.updated_count, lead_import.rejected_count) == (1, 3, 0)
    lee = Person.objects.get(email_key="lee@northwind.io")
    assert lee.job_title == "Head of Engineering" and lee.seniority == "director"
    kim = Person.objects.get(email_key="kim@meridian-bank.de")
    assert kim.first_name == "Kimberly" and kim.job_title == "CFO"
    assert Interaction.objects.filter(person=lee, type="imported").count() == 1
    rows = summary_rows(lead_import)
    assert rows[2]["outcome"] == "updated" and "Repeats the email of row 2" in rows[2]["reason"]
    assert rows[3]["outcome"] == "updated" and "Repeats the email of row 3" in rows[3]["reason"]


def test_unicode_names_survive_csv_and_xlsx():
    rows = [
        ["email", "first_name", "last_name", "company"],
        ["zoe@angstrom.se", "Zoë", "Ångström", "Ångström AB"],
        ["lilei@beijing-bank.cn", "雷", "李", "北京银行"],
    ]
    run_import(csv_bytes(rows))
    run_import(xlsx_bytes([rows[0], ["ole@fjord.no", "Øle", "Bjørnstad", "Fjørd AS"]]), "leads.xlsx")
    assert Person.objects.get(email="zoe@angstrom.se").last_name == "Ångström"
    assert Person.objects.get(email="lilei@beijing-bank.cn").first_name == "雷"
    assert Company.objects.filter(name="北京银行").exists()
    assert Person.objects.get(email="ole@fjord.no").last_name == "Bjørnstad"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files(delimiter):
    content = csv_bytes(
        [["E-Mail", "Vorname", "Firma", "Mitarbeiter"], ["jo@meridian-bank.de", "Jo", "Meridian; Bank", "1.200"]],
        delimiter=delimiter,
    )
    lead_import, _ = run_import(content)
    assert lead_import.delimiter == delimiter and lead_import.created_count == 1
    person = Person.objects.get()
    assert person.first_name == "Jo" and person.company.name == "Meridian; Bank"
    assert person.company.employee_count == 1200 and person.company.employee_band == "1000-4999"


def test_cp1252_and_utf8_bom_files_are_decoded():
    content = csv_bytes(
        [["email", "last_name", "company"], ["mia@muenchen.de", "Müller", "Café Crème GmbH"]], encoding="cp1252"
    )
    lead_import, _ = run_import(content)
    assert lead_import.encoding == "cp1252"
    assert Person.objects.get().last_name == "Müller" and Company.objects.get().name == "Café Crème GmbH"
    content = "\ufeff".encode() + csv_bytes([["email", "last_name"], ["sam@nordwind.de", "Søren"]])
    lead_import, _ = run_import(content)
    assert lead_import.encoding == "utf-8-sig" and lead_import.headers == ["email", "last_name"]
    assert Person.objects.get(email="sam@nordwind.de").last_name == "Søren"


def test_xlsx_numbers_dates_formulas_errors_and_blank_rows():
    content = xlsx_bytes(
        [
            ["Email", "First name", "Phone", "Employees", "Company", "Signed up"],
            ["ivy@northwind.io", "Ivy", 49301234567, 250.0, "Northwind", __import__("datetime").date(2026, 3, 1)],
            [None, None, None, None, None, None],
            ['=HYPERLINK("http://evil.example","x")', "Max", None, None, "Evil", None],
            ["noa@northwind.io", "=1+1", None, "#N/A", "Northwind", None],
        ]
    )
    lead_import, preview = run_import(
        content, "people.xlsx", mapping=["email", "first_name", "phone", "employees", "company", "custom"]
    )
    assert lead_import.file_format == "xlsx" and lead_import.total_rows == 3
    assert (lead_import.created_count, lead_import.rejected_count) == (2, 1)
    ivy = Person.objects.get(email="ivy@northwind.io")
    assert ivy.first_name == "Ivy" and ivy.company.employee_count == 250
    assert Lead.objects.get(person=ivy).payload["Signed up"] == "2026-03-01"
    noa = Person.objects.get(email="noa@northwind.io")
    assert noa.first_name == ""  # a formula is never imported
    rows = summary_rows(lead_import)
    assert rows[1]["row"] == "4" and rows[1]["outcome"] == "rejected"
    assert "Email: a spreadsheet formula" in rows[1]["reason"]
    assert "First name: a spreadsheet formula" in rows[2]["reason"]
    assert "Employees: a spreadsheet error (#N/A)" in rows[2]["reason"]
    assert not Person.objects.filter(email__contains="evil").exists()


# -- files refused ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\r\n\r\n ,, \r\n", "blank.csv", "The file is empty."),
        (b"email,first_name\r\n", "header.csv", "The file has column names but no rows of data."),
        (b"PK\x03\x04garbage", "broken.xlsx", "This is not a valid Excel workbook"),
        (b"email\r\na@b.de\r\n", "old.xls", "Old Excel files (.xls) cannot be read"),
        (b"email\r\na@b.de\r\n", "leads.pdf", "Upload a CSV file (.csv) or an Excel workbook (.xlsx)."),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_a_reason(content, name, message, private_root):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        services.import_upload(upload(content, name), name="x")
    assert not LeadImport.objects.exists()
    assert not any(files for _, _, files in os.walk(private_root))


def test_size_and_row_limits_name_the_limit(settings, importer):
    settings.LEAD_IMPORT_MAX_BYTES = 1024 * 1024
    content = csv_bytes([["email"], *[[f"p{n}@northwind.io"] for n in range(60_000)]])
    response = importer.post(reverse("lead_imports:upload"), {"file": upload(content), "interaction_type": "imported"})
    assert response.status_code == 400 and "the limit is 1 MB" in response.content.decode()
    settings.LEAD_IMPORT_MAX_BYTES = 20 * 1024 * 1024
    settings.LEAD_IMPORT_MAX_ROWS = 3
    content = csv_bytes([["email"], *[[f"p{n}@northwind.io"] for n in range(4)]])
    response = importer.post(reverse("lead_imports:upload"), {"file": upload(content), "interaction_type": "imported"})
    assert "more than 3 rows, the most one import takes" in response.content.decode()
    assert not LeadImport.objects.exists()


def test_duplicate_and_blank_header_names_are_made_unique():
    lead_import = services.import_upload(
        upload(csv_bytes([["Email", "email", "", "Notes"], ["a@northwind.io", "b@northwind.io", "x", "y"]])), name="x"
    )
    assert lead_import.headers == ["Email", "email (2)", "Column 3", "Notes"]
    assert "Column 2 has the same name as column 1 ('email')" in lead_import.header_notes[
        1
    ] or "same name as column 1" in " ".join(lead_import.header_notes)
    assert lead_import.mapping[:2] == ["email", "custom"]


# -- privacy, progress, permissions, audit ------------------------------------------------------


def test_the_file_is_private_and_deleted_after_the_import(private_root, settings):
    lead_import = services.import_upload(upload(csv_bytes([["email"], ["una@northwind.io"]])), name="x")
    path = lead_import.file.path
    assert path.startswith(str(private_root)) and not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError, match="Import files are private: they have no URL"):
        lead_import.file.url  # noqa: B018 - no URL at all
    services.import_preview(lead_import)
    lead_import = services.import_start(lead_import)
    assert lead_import.status == "done" and not lead_import.file and not os.path.exists(path)
    assert lead_import.results.exists()  # the summary is kept


def test_progress_fragment_polls_while_running_and_shows_the_summary_when_done(importer):
    lead_import = LeadImport.objects.create(
        name="Big list",
        original_filename="big.csv",
        file_format="csv",
        status="running",
        total_rows=1000,
        rows_done=500,
        created_count=400,
        updated_count=60,
        rejected_count=40,
    )
    url = reverse("lead_imports:progress", args=[lead_import.pk])
    html = importer.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 1s"' in html
    assert "500 of 1,000 rows (50%)" in html and '<progress max="1000" value="500"' in html
    page = importer.get(reverse("lead_imports:detail", args=[lead_import.pk])).content.decode()
    assert "htmx" in page and "500 of 1,000 rows" in page and ">Refresh</a>" in page  # works without JS too
    LeadImport.objects.filter(pk=lead_import.pk).update(status="done", rows_done=1000)
    html = importer.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html and "Download the summary" in html and "Created (new people)" in html


def test_summary_download_is_logged(importer):
    lead_import, _ = run_import(csv_bytes([["email"], ["vic@northwind.io"], ["bad"]]))
    response = importer.get(reverse("lead_imports:summary", args=[lead_import.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(row["email"], row["outcome"]) for row in rows] == [("vic@northwind.io", "created"), ("bad", "rejected")]
    entry = ModelLogEntry.objects.get(action="leadforms.import_summary_download")
    assert entry.user == importer.user and entry.object_id == str(lead_import.pk)
    assert entry.data["rows"] == 2


def test_summary_cells_cannot_run_as_formulas():
    lead_import, _ = run_import(csv_bytes([["email", "first_name"], ["=cmd|' /C calc'!A0", "x"], ["+bad@x", "y"]]))
    text = "".join(services.summary_csv_chunks(lead_import))
    assert "\n'+bad@x" in text or ",'+bad@x," in text


def test_the_whole_flow_through_the_admin(importer):
    response = importer.get(reverse("lead_imports:index"))
    assert response.status_code == 200 and "Import leads" in response.content.decode()
    importer.post(
        reverse("lead_imports:upload"),
        {"file": upload(csv_bytes(BAD_FILE)), "name": "Fair", "interaction_type": "event_attended"},
    )
    lead_import = LeadImport.objects.get()
    response = importer.post(
        reverse("lead_imports:mapping", args=[lead_import.pk]),
        {f"column_{n}": target for n, target in enumerate(lead_import.mapping)},
    )
    assert response["Location"] == reverse("lead_imports:preview", args=[lead_import.pk])
    assert importer.get(response["Location"]).status_code == 200
    response = importer.post(reverse("lead_imports:start", args=[lead_import.pk]))
    assert response["Location"] == reverse("lead_imports:detail", args=[lead_import.pk])
    html = importer.get(response["Location"]).content.decode()
    assert "Finished" in html and "Invalid email address" in html
    assert Interaction.objects.filter(type="event_attended").count() == 4  # junk rows with an email too
    assert ModelLogEntry.objects.filter(action="leadforms.import_start", user=importer.user).exists()
    listing = importer.get(reverse("lead_imports:index")).content.decode()
    assert "Fair" in listing and "importer" in listing
    # Once started, the mapping and preview lead to the summary instead.
    assert importer.get(reverse("lead_imports:mapping", args=[lead_import.pk]))["Location"].endswith(
        f"/{lead_import.pk}/"
    )


def import_urls(pk):
    return [
        ("get", reverse("lead_imports:index")),
        ("get", reverse("lead_imports:template")),
        ("get", reverse("lead_imports:upload")),
        ("post", reverse("lead_imports:upload")),
        ("get", reverse("lead_imports:detail", args=[pk])),
        ("get", reverse("lead_imports:mapping", args=[pk])),
        ("post", reverse("lead_imports:mapping", args=[pk])),
        ("get", reverse("lead_imports:preview", args=[pk])),
        ("post", reverse("lead_imports:start", args=[pk])),
        ("get", reverse("lead_imports:progress", args=[pk])),
        ("get", reverse("lead_imports:summary", args=[pk])),
    ]


def test_every_import_view_needs_the_permission(client):
    lead_import, _ = run_import(csv_bytes([["email"], ["wes@northwind.io"]]))
    client.force_login(admin_user("editor", can_import=False))
    for method, url in import_urls(lead_import.pk):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home"), url
    assert not ModelLogEntry.objects.filter(action="leadforms.import_summary_download").exists()
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Import leads" not in home
    client.logout()
    for method, url in import_urls(lead_import.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_menu_item_shows_for_importers(importer):
    assert "Import leads" in importer.get(reverse("wagtailadmin_home")).content.decode()


def test_a_stopped_import_resumes_where_it_stopped(settings, monkeypatch):
    from leads.services.bulk import BulkCapture

    settings.LEAD_IMPORT_BATCH_SIZE = 50
    content = csv_bytes(
        [
            ["email", "first_name"],
            *[[f"p{n}@company{n % 7}.de", f"P{n}"] for n in range(120)],
            ["p3@company3.de", "Again"],
        ]
    )
    lead_import = services.import_upload(upload(content), name="x")
    services.import_preview(lead_import)
    original = BulkCapture.process
    calls = []

    def flaky(self, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return original(self, rows)

    monkeypatch.setattr(BulkCapture, "process", flaky)
    lead_import = services.import_start(lead_import)
    assert lead_import.status == "failed" and lead_import.rows_done == 50 and "worker killed" in lead_import.error
    lead_import = services.import_start(lead_import)
    assert lead_import.status == "done" and lead_import.rows_done == 121
    assert (lead_import.created_count, lead_import.updated_count) == (120, 1)
    assert Lead.objects.filter(source="import").count() == 121 and Person.objects.count() == 120
    assert "Repeats the email of row 5" in summary_rows(lead_import)[-1]["reason"]


def test_fifty_thousand_rows_through_the_bulk_path():
    CompanyFactory(name="Existing Co", domains=["existing.de"])
    known = [
        PersonFactory(email=f"known{n}@existing.de", email_key=f"known{n}@existing.de", job_title="Analyst")
        for n in range(20)
    ]
    rows = [["email", "first_name", "last_name", "company", "job_title", "country", "utm_campaign"]]
    for n in range(50_000):
        if n % 10 == 9:
            rows.append([f"junk{n}@mailinator.com", "J", "Unk", "", "", "", "bulk"])
        elif n % 1000 == 0:
            rows.append(
                [f"known{(n // 1000) % 20}@existing.de", "Known", f"K{n}", "Existing Co", "VP Sales", "DE", "bulk"]
            )
        else:
            rows.append(
                [f"user{n}@firm{n % 2000}.com", "Zoë", f"Ångström{n}", f"Firm {n % 2000}", "Engineer", "SE", "bulk"]
            )
    lead_import, preview = run_import(csv_bytes(rows))
    assert preview.total == 50_000 and preview.bad == 5_000
    assert lead_import.status == "done" and lead_import.rows_done == 50_000
    assert lead_import.created_count == 44_950 and lead_import.updated_count == 50
    assert lead_import.rejected_count == 5_000 and lead_import.reason_counts == {"disposable_email": 5_000}
    assert Lead.objects.filter(source="import").count() == 50_000
    assert Person.objects.count() == 20 + 44_950 + 5_000
    # firm numbers ending in 9 only get junk rows, firms 0 and 1000 only known people
    assert Company.objects.filter(domains__domain__startswith="firm").count() == 2000 - 200 - 2
    person = Person.objects.select_related("company").get(email="user12345@firm345.com")
    assert (person.first_name, person.last_name, person.company.name, person.country) == (
        "Zoë",
        "Ångström12345",
        "Firm 345",
        "SE",
    )
    assert person.scored_at is not None and person.interactions.get().type == "imported"
    known[0].refresh_from_db()
    assert known[0].job_title == "VP Sales" and known[0].seniority == "vp"
    assert len(summary_rows(lead_import)) == 50_000
