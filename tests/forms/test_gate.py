"""The gated whitepaper journey over HTTP: form, capture, consent, download link, coming back."""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils.html import escape

from forms.models import ConsentRecord, LeadFormSubmission, RejectedSubmission
from leads.models import Interaction, Lead, Person, ScoringRule
from tests.factories import LeadFormPageFactory, PersonFactory
from tests.forms.conftest import EU_TEXT, GOOD_ANSWERS, US_TEXT, form_inputs, submit

LINK = re.compile(r'href="(/downloads/[^"]+)"')


def download_link(response) -> str:
    match = LINK.search(response.content.decode())
    assert match, response.content.decode()[:3000]
    return match.group(1)


def test_a_visitor_downloads_a_gated_whitepaper_and_lands_in_the_lead_store(
    client, whitepaper, consent_policies, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the emails leave the outbox once the request commits
        response = submit(
            client,
            whitepaper.url,
            get_params="?utm_source=linkedin&utm_medium=paid&utm_campaign=q3-revops",
            headers={"CF-IPCountry": "DE"},
        )
    assert response.status_code == 200
    link = download_link(response)

    lead = Lead.objects.get()
    assert (lead.source, lead.origin_type, lead.origin_id) == ("form", "content", str(whitepaper.pk))
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("linkedin", "paid", "q3-revops")
    assert lead.landing_page.endswith(
        "/whitepapers/revops-benchmark/?utm_source=linkedin&utm_medium=paid&utm_campaign=q3-revops"
    )
    assert lead.interaction_type == "content_download" and lead.origin_topics == ",revops,"
    person = Person.objects.get()
    assert (person.email, person.first_name, person.last_name, person.country) == (
        "jana.novak@meridian-bank.de",
        "Jana",
        "Novák",
        "DE",
    )
    assert person.company.name == "Meridian Bank"
    interaction = Interaction.objects.get(person=person)
    assert (interaction.type, interaction.object_id, interaction.object_topics) == (
        "content_download",
        str(whitepaper.pk),
        ",revops,",
    )
    assert person.scored_at is not None

    # Wagtail's own submission row, tied to the lead.
    submission = LeadFormSubmission.objects.get()
    assert submission.lead == lead and submission.context_label == "RevOps benchmark 2026"
    assert submission.form_data["work_email"] == "jana.novak@meridian-bank.de"

    # The PDF itself, through the signed link.
    pdf = client.get(link)
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment")
    assert pdf["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in pdf["Cache-Control"]

    # The same link by email, sent from the outbox by a background task.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jana.novak@meridian-bank.de"]
    assert f"http://testserver{link}" in mailoutbox[0].body


def test_the_gate_is_skipped_for_a_known_visitor_who_already_converted(client, whitepaper, consent_policies):
    ScoringRule.objects.create(
        name="Download", kind="interest", interaction_type="content_download", points=15, cap_points=100
    )
    submit(client, whitepaper.url)
    person = Person.objects.get()
    interest_before = person.interest_score

    again = client.get(whitepaper.url)
    html = again.content.decode()
    assert "Welcome back, Jana" in html and 'name="work_email"' not in html
    link = download_link(again)
    assert client.get(link).status_code == 200
    # A returning download is an interaction of its own and feeds the score; no new lead is captured.
    assert Lead.objects.count() == 1
    assert Interaction.objects.filter(person=person, type="content_download").count() == 2
    person.refresh_from_db()
    assert person.interest_score > interest_before


def test_a_form_set_to_always_ask_does_not_skip_the_gate(client, whitepaper, gate_form, consent_policies):
    gate_form.gate_behaviour = "always"
    gate_form.save_revision().publish()
    submit(client, whitepaper.url)
    html = client.get(whitepaper.url).content.decode()
    assert "Welcome back, Jana" in html  # recognised: known answers are not asked again...
    assert "Download the PDF" not in html and 'type="submit"' in html  # ...but the gate stays


def test_not_you_forgets_the_visitor(client, whitepaper, consent_policies):
    submit(client, whitepaper.url)
    old_cookie = client.cookies[django_settings.VISITOR_COOKIE_NAME].value
    html = client.get(whitepaper.url + "?forget=1").content.decode()
    assert 'name="work_email"' in html and "Welcome back" not in html
    assert client.cookies[django_settings.VISITOR_COOKIE_NAME].value != old_cookie


class TestDownloadLinks:
    def test_an_expired_link_is_refused_with_a_way_forward(self, client, whitepaper, consent_policies, settings):
        link = download_link(submit(client, whitepaper.url))
        settings.GATED_DOWNLOAD_MAX_AGE = -1
        response = client.get(link)
        assert response.status_code == 410
        html = response.content.decode()
        assert "<h1>This download link has expired</h1>" in html
        # The way forward: what to do (fill in the form again for a new link) and the page with the form.
        assert "Fill in the form again and you&#x27;ll get a new one." in html
        assert f'<a class="button" href="{whitepaper.url}">Fill in the form again</a>' in html
        assert 'href="/">Go to the home page</a>' in html
        assert not response.has_header("Content-Disposition"), "no file behind an expired link"
        whitepaper.unpublish()  # a page that is gone offers no form: only the home page
        html = client.get(link).content.decode()
        assert "Fill in the form again</a>" not in html and '<a class="button" href="/">' in html

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda token: token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),  # signature
            lambda token: token.replace(token.split(":")[0], token.split(":")[0][:-2] + "xx"),  # payload
            lambda token: "",
            lambda token: "not-a-token",
        ],
    )
    def test_a_tampered_link_is_refused(self, client, whitepaper, consent_policies, tamper):
        token = download_link(submit(client, whitepaper.url)).split("/")[2]
        response = client.get(f"/downloads/{tamper(token) or 'x'}/")
        assert response.status_code == 403
        assert "<h1>This download link is not valid</h1>" in response.content.decode()
        assert not response.has_header("Content-Disposition"), "refused: no file"

    def test_a_link_issued_for_one_lead_cannot_be_rebound_to_another(self, client, whitepaper, consent_policies):
        from django.core import signing

        from forms.services.downloads import SALT

        token = download_link(submit(client, whitepaper.url)).split("/")[2]
        payload = signing.loads(token, salt=SALT)
        forged_payload = signing.dumps({**payload, "l": payload["l"] + 1}, salt=SALT, compress=True)
        forged = forged_payload.split(":")[0] + ":" + ":".join(token.split(":")[1:])  # the old signature
        response = Client().get(f"/downloads/{forged}/")
        assert response.status_code == 403 and not response.has_header("Content-Disposition")
        assert "<h1>This download link is not valid</h1>" in response.content.decode()

    def test_another_known_person_cannot_use_someone_elses_link(self, client, whitepaper, consent_policies):
        link = download_link(submit(client, whitepaper.url))
        colleague = Client()
        submit(
            colleague,
            whitepaper.url,
            {**GOOD_ANSWERS, "work_email": "petr.dvorak@meridian-bank.de", "first_name": "Petr"},
        )
        response = colleague.get(link)
        assert response.status_code == 403
        assert "someone else" in response.content.decode()
        # An anonymous browser (the email opened on another device) may use it.
        assert Client().get(link).status_code == 200

    def test_the_direct_document_url_is_refused(self, client, whitepaper, consent_policies):
        document = whitepaper.document
        response = Client().get(document.url)
        assert response.status_code in (302, 403)
        assert "/login" in response.get("Location", "/login")
        # Nor is the file served from the media folder.
        assert Client().get(django_settings.MEDIA_URL + document.file.name).status_code == 404
        # The page never shows a document URL to a visitor who hasn't filled in the form.
        assert document.url not in Client().get(whitepaper.url).content.decode()


class TestConsentByCountry:
    def test_eu_visitor_sees_an_unticked_box_and_can_download_without_ticking(
        self, client, whitepaper, consent_policies
    ):
        page = client.get(whitepaper.url, headers={"CF-IPCountry": "DE"}).content.decode()
        box = re.search(r'<input[^>]*name="marketing_consent"[^>]*>', page).group(0)
        assert 'type="checkbox"' in box and "checked" not in box
        assert EU_TEXT in page

        response = submit(client, whitepaper.url, headers={"CF-IPCountry": "DE"})
        download_link(response)
        record = ConsentRecord.objects.get()
        assert (record.granted, record.checkbox_shown, record.policy_country, record.text, record.version) == (
            False,
            True,
            "DE",
            EU_TEXT,
            1,
        )
        assert record.form_page.specific == whitepaper.gate_form and record.ip_address == "127.0.0.1"
        assert record.email == "jana.novak@meridian-bank.de" and record.lead == Lead.objects.get()
        assert Person.objects.get().consent == "unknown"

    def test_a_ticked_box_is_recorded_and_reaches_the_person(self, client, whitepaper, consent_policies):
        submit(client, whitepaper.url, {**GOOD_ANSWERS, "marketing_consent": "on"}, headers={"CF-IPCountry": "DE"})
        assert ConsentRecord.objects.get().granted is True
        assert Person.objects.get().consent == "granted"

    def test_a_us_visitor_gets_a_notice_and_implied_consent(self, client, whitepaper, consent_policies):
        page = client.get(whitepaper.url, headers={"CF-IPCountry": "US"}).content.decode()
        assert 'name="marketing_consent"' not in page and escape(US_TEXT) in page
        submit(client, whitepaper.url, {**GOOD_ANSWERS, "country": "US"}, headers={"CF-IPCountry": "US"})
        record = ConsentRecord.objects.get()
        assert (record.checkbox_shown, record.granted, record.policy_country) == (False, True, "US")

    def test_unknown_countries_fall_back_to_the_catch_all_row(self, client, whitepaper, consent_policies):
        page = client.get(whitepaper.url).content.decode()  # no country header at all
        assert 'name="marketing_consent"' in page
        submit(client, whitepaper.url)
        assert ConsentRecord.objects.get().policy_country == "*"

    def test_changed_wording_bumps_the_version_and_asks_again(self, client, whitepaper, consent_policies):
        page = client.get(whitepaper.url, headers={"CF-IPCountry": "DE"})
        data = {**form_inputs(page.content.decode()), **GOOD_ANSWERS, "marketing_consent": "on"}
        policy = consent_policies["DE"]
        policy.text = "New wording"
        policy.save()
        assert policy.version == 2
        response = client.post(whitepaper.url, data, headers={"CF-IPCountry": "DE"})
        assert "consent wording has just been updated" in response.content.decode()
        assert not Lead.objects.exists() and not ConsentRecord.objects.exists()


class TestProgressiveProfiling:
    def test_known_answers_are_not_asked_again_and_the_next_questions_are(self, client, whitepaper, consent_policies):
        first = client.get(whitepaper.url).content.decode()
        assert 'name="job_title"' not in first  # progressive questions wait for a known visitor
        submit(client, whitepaper.url)

        other = LeadFormPageFactory(parent=whitepaper.get_parent().get_parent(), slug="newsletter", purpose="general")
        html = client.get(other.url).content.decode()
        for known in ("work_email", "first_name", "last_name", "company", "country"):
            assert f'name="{known}"' not in html
        # Two progressive questions per visit, in the marketer's order.
        assert 'name="job_title"' in html and 'name="phone"' in html and 'name="company_size"' not in html

        inputs = form_inputs(html)
        client.post(other.url, {**inputs, "job_title": "Head of RevOps", "phone": "+49 30 901820"})
        person = Person.objects.get()
        assert (person.job_title, person.phone, person.seniority) == ("Head of RevOps", "+4930901820", "director")
        lead = Lead.objects.latest("pk")
        assert json.loads(lead.mapped_fields)["email"] == "jana.novak@meridian-bank.de"  # filled from the record

        html = client.get(other.url).content.decode()
        assert 'name="company_size"' in html and 'name="job_title"' not in html
        assert '<option value="250-999">250-999</option>' in html  # the lead store's own bands
        client.post(other.url, {**form_inputs(html), "company_size": "250-999"})
        assert Person.objects.get().company.employee_band == "250-999"

    def test_profiling_reads_the_person_record_not_past_submissions(self, client, whitepaper, consent_policies):
        submit(client, whitepaper.url)
        Person.objects.update(job_title="CFO")  # known from anywhere: sales, an import, the CRM
        other = LeadFormPageFactory(parent=whitepaper.get_parent().get_parent(), slug="newsletter")
        html = client.get(other.url).content.decode()
        assert 'name="job_title"' not in html and 'name="phone"' in html and 'name="company_size"' in html


class TestFieldTypesAndMapping:
    FIELDS = [
        ("Email", "email", "email", True, False, ""),
        ("Given name", "singleline", "first_name", False, False, ""),
        ("Your challenge", "multiline", "", False, False, ""),
        ("Employees", "number", "employees", False, False, ""),
        ("Website", "url", "", False, False, ""),
        ("Agree", "checkbox", "", False, False, ""),
        ("Interests", "checkboxes", "", False, False, "AI\nData\nRevOps"),
        ("Industry", "dropdown", "industry", False, False, "banking\nhealthcare"),
        ("Products", "multiselect", "", False, False, "Scoring\nRouting"),
        ("Timeline", "radio", "", False, False, "Now\nLater"),
        ("Start date", "date", "", False, False, ""),
        ("Call at", "datetime", "", False, False, ""),
        ("Campaign code", "hidden", "", False, False, ""),
        ("Country", "dropdown", "country", False, False, ""),
    ]

    def test_every_field_type_renders_validates_and_maps(self, client, home_page, consent_policies):
        form_page = LeadFormPageFactory(parent=home_page, slug="all-fields", purpose="general", fields=self.FIELDS)
        html = client.get(form_page.url).content.decode()
        for name in (
            "email",
            "given_name",
            "your_challenge",
            "employees",
            "website",
            "agree",
            "interests",
            "industry",
            "products",
            "timeline",
            "start_date",
            "call_at",
            "campaign_code",
            "country",
        ):
            assert f'name="{name}"' in html, name
        assert '<option value="DE">Germany</option>' in html  # country mapped fields list every country

        bad = client.post(
            form_page.url,
            {
                **form_inputs(html),
                "email": "nope",
                "employees": "many",
                "website": "not a url",
                "interests": ["Crypto"],
                "start_date": "32/13/2026",
                "country": "ZZ",
            },
        )
        errors = bad.content.decode()
        for name in ("email", "employees", "website", "interests", "start_date", "country"):
            assert f'id="id_{name}-error"' in errors, name
        assert 'aria-invalid="true"' in errors and not Lead.objects.exists()

        response = client.post(
            form_page.url,
            {
                **form_inputs(html),
                "email": "li.lei@kestrel-mfg.com",
                "given_name": "李雷",
                "your_challenge": "Slow",
                "employees": "1800",
                "website": "https://kestrel-mfg.com",
                "agree": "on",
                "interests": ["AI", "RevOps"],
                "industry": "healthcare",
                "products": ["Scoring"],
                "timeline": "Now",
                "start_date": "2026-12-01",
                "call_at": "2026-12-01 10:30",
                "campaign_code": "x1",
                "country": "DE",
            },
        )
        assert response.status_code == 200 and "Thank you" in response.content.decode()
        lead = Lead.objects.get()
        fields = json.loads(lead.mapped_fields)
        assert fields["answers"]["Interests"] == ["AI", "RevOps"] and fields["answers"]["Agree"] is True
        assert fields["answers"]["Start date"] == "2026-12-01"
        person = Person.objects.get()
        assert (person.first_name, person.country) == ("李雷", "DE")
        assert (person.company.industry, person.company.employee_count) == ("healthcare", 1800)
        assert lead.origin_type == "form" and lead.interaction_type == "form_submit"

    def test_a_bad_phone_is_refused_naming_the_field(self, client, whitepaper, consent_policies):
        submit(client, whitepaper.url)  # known visitor: the next visit asks for the phone
        other = LeadFormPageFactory(parent=whitepaper.get_parent().get_parent(), slug="more")
        html = client.get(other.url).content.decode()
        response = client.post(other.url, {**form_inputs(html), "phone": "1111111"})
        assert 'id="id_phone-error"' in response.content.decode()
        assert Lead.objects.count() == 1


class TestSpamAndAbuse:
    def test_honeypot(self, client, whitepaper, consent_policies):
        response = submit(client, whitepaper.url, {**GOOD_ANSWERS, "contact_website": "http://spam.example"})
        assert response.status_code == 200 and "Thank you" in response.content.decode()
        assert "Download the PDF" not in response.content.decode()
        assert not Lead.objects.exists()
        assert RejectedSubmission.objects.get().reason == "honeypot"

    def test_too_fast(self, client, whitepaper, consent_policies, settings):
        settings.FORMS_MIN_FILL_SECONDS = 60
        response = submit(client, whitepaper.url)
        html = response.content.decode()
        assert "That was quick" in html and 'value="jana.novak@meridian-bank.de"' in html  # answers kept
        assert not Lead.objects.exists()
        assert RejectedSubmission.objects.get().reason == "too_fast"

    @pytest.mark.parametrize("token", ["", "forged", "eyJmIjo1fQ:1abc:def"])
    def test_missing_or_forged_token(self, client, whitepaper, consent_policies, token):
        page = client.get(whitepaper.url).content.decode()
        client.post(whitepaper.url, {**form_inputs(page), **GOOD_ANSWERS, "sp_started": token})
        assert not Lead.objects.exists()
        assert RejectedSubmission.objects.get().reason == "bad_token"

    def test_a_token_for_another_form_is_refused(self, client, whitepaper, home_page, consent_policies):
        other = LeadFormPageFactory(parent=home_page, slug="other")
        token = form_inputs(client.get(other.url).content.decode())["sp_started"]
        page = client.get(whitepaper.url).content.decode()
        client.post(whitepaper.url, {**form_inputs(page), **GOOD_ANSWERS, "sp_started": token})
        assert RejectedSubmission.objects.get().reason == "bad_token"

    def test_rate_limit_per_ip(self, client, whitepaper, consent_policies, settings):
        settings.FORMS_RATE_LIMIT_IP = (3, 600)
        statuses = [
            submit(Client(), whitepaper.url, {**GOOD_ANSWERS, "work_email": f"p{n}@meridian-bank.de"}).status_code
            for n in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        assert Lead.objects.count() == 3
        assert RejectedSubmission.objects.filter(reason="rate_limit_ip").count() == 2

    def test_rate_limit_per_email(self, whitepaper, consent_policies, settings):
        settings.FORMS_RATE_LIMIT_EMAIL = (2, 3600)
        statuses = [submit(Client(REMOTE_ADDR=f"10.0.0.{n}"), whitepaper.url).status_code for n in range(4)]
        assert statuses == [200, 200, 429, 429]
        rejected = RejectedSubmission.objects.filter(reason="rate_limit_email", email=GOOD_ANSWERS["work_email"])
        assert rejected.count() == 2

    def test_maximum_body_size(self, client, whitepaper, consent_policies, settings):
        settings.FORMS_MAX_BODY_BYTES = 2048
        response = submit(client, whitepaper.url, {**GOOD_ANSWERS, "first_name": "x" * 5000})
        assert response.status_code == 413
        assert not Lead.objects.exists()
        assert RejectedSubmission.objects.get().reason == "too_large"
        # With htmx the panel still swaps in (htmx ignores 4xx answers) and says what went wrong.
        htmx = submit(
            client, whitepaper.url, {**GOOD_ANSWERS, "first_name": "x" * 5000}, headers={"HX-Request": "true"}
        )
        assert htmx.status_code == 200 and "too large" in htmx.content.decode() and "<html" not in htmx.content.decode()

    def test_csrf_is_enforced_on_html_forms(self, whitepaper, consent_policies):
        browser = Client(enforce_csrf_checks=True)
        page = browser.get(whitepaper.url).content.decode()
        data = {**form_inputs(page), **GOOD_ANSWERS}
        assert (
            browser.post(whitepaper.url, {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}).status_code
            == 403
        )
        assert browser.post(whitepaper.url, data).status_code == 200
        assert Lead.objects.count() == 1

    @pytest.mark.parametrize(
        "answers",
        [
            {},
            {"work_email": ["a@b.de", "c@d.de"], "country": ["DE", "FR"]},
            {
                "work_email": "jana@meridian-bank.de\x00",
                "first_name": "\x00\x1b[31m",
                "last_name": "‮evil",
                "company": "<script>alert(1)</script>",
                "country": "DE",
            },
            {**GOOD_ANSWERS, "first_name": "J" * 100_000},
            {**GOOD_ANSWERS, "country": "../../etc/passwd"},
            {"unknown_field": "x" * 1000, "sp_consent_policy": "ZZ:999", "marketing_consent": "maybe"},
        ],
    )
    def test_malformed_input_never_500s(self, client, whitepaper, consent_policies, settings, answers):
        settings.FORMS_MAX_BODY_BYTES = 1_000_000
        response = submit(client, whitepaper.url, answers)
        assert response.status_code in (200, 413)
        assert "Download the PDF" not in response.content.decode() or Lead.objects.exists()


def test_htmx_gets_the_panel_only_with_accessible_errors_then_success(client, whitepaper, consent_policies):
    page = client.get(whitepaper.url).content.decode()
    htmx = {"HX-Request": "true"}
    bad = client.post(whitepaper.url, {**form_inputs(page), "work_email": "nope"}, headers=htmx)
    html = bad.content.decode()
    assert bad.status_code == 200 and "<html" not in html and 'role="alert"' in html
    assert 'aria-describedby="id_work_email-error"' in html and 'aria-invalid="true"' in html
    assert 'href="#id_work_email"' in html  # the summary links to the field

    good = client.post(whitepaper.url, {**form_inputs(page), **GOOD_ANSWERS}, headers=htmx)
    assert "<html" not in good.content.decode() and "Download the PDF" in good.content.decode()
    assert "HX-Request" in good["Vary"] and "private" in good["Cache-Control"]


def test_contact_sales_form_page_goes_straight_to_sales(
    client, home_page, consent_policies, mailoutbox, django_capture_on_commit_callbacks
):
    form_page = LeadFormPageFactory(
        parent=home_page,
        slug="contact-sales",
        title="Contact sales",
        purpose="contact_sales",
        to_address="sales@northwind.example",
        subject="New contact-sales request",
        fields=[
            ("Work email", "email", "email", True, False, ""),
            ("Company", "singleline", "company", True, False, ""),
            ("How can we help?", "multiline", "", True, False, ""),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            client,
            form_page.url,
            {"work_email": "cfo@meridian-bank.de", "company": "Meridian Bank", "how_can_we_help": "A demo for 40 reps"},
        )
    assert "Thank you" in response.content.decode()
    person = Person.objects.get()
    assert person.stage == "mql"
    assert person.stage_transitions.get().reason == "Fast lane: asked to contact sales"
    lead = Lead.objects.get()
    assert (lead.origin_type, lead.origin_id, lead.interaction_type) == ("form", str(form_page.pk), "contact_sales")
    assert json.loads(lead.mapped_fields)["answers"] == {"How can we help?": "A demo for 40 reps"}
    notification = next(mail for mail in mailoutbox if mail.to == ["sales@northwind.example"])
    assert "A demo for 40 reps" in notification.body and lead.lid in notification.body


def test_an_existing_person_submitting_again_is_updated_not_duplicated(client, whitepaper, consent_policies):
    PersonFactory(email="jana.novak@meridian-bank.de", first_name="J")
    submit(client, whitepaper.url)
    assert Person.objects.get().first_name == "Jana"
