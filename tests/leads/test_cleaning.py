"""Cleaning rules, one by one, on ugly inputs."""

import pytest

from leads.cleaning import CleaningRules, clean_lead, clean_text, email_identity_key, normalise_phone

RULES = CleaningRules(
    test_patterns=["test", "asdf", "example.com"],
    competitor_domains=["rival.io"],
    extra_disposable_domains=["burner.example"],
)


def codes(fields, rules=RULES):
    return {flag.code for flag in clean_lead(fields, rules).flags}


def test_a_good_business_lead_is_clean():
    cleaned = clean_lead(
        {
            "email": " Jane.Doe+Webinar@Meridian-Bank.DE ",
            "first_name": "Jane",
            "last_name": "Doe",
            "phone": "030 1234 5678",
            "country": "de",
        },
        RULES,
    )
    assert cleaned.flags == []
    assert cleaned.email == "jane.doe+webinar@meridian-bank.de"
    assert cleaned.email_key == "jane.doe@meridian-bank.de"
    assert cleaned.phone_e164 == "+493012345678"
    assert cleaned.values["country"] == "DE"


@pytest.mark.parametrize(
    "email, code",
    [
        ("", "missing_email"),
        (None, "missing_email"),
        ("not-an-email", "invalid_email"),
        ("jane@", "invalid_email"),
        ("jane@@bank.de", "invalid_email"),
        ("a" * 10_000 + "@bank.de", "invalid_email"),
        ("jane@bank.de'; DROP TABLE leads_person;--", "invalid_email"),
        ("<script>@bank.de", "invalid_email"),
        ("jane@gmail.com", "personal_email"),
        ("jane@mailinator.com", "disposable_email"),
        ("jane@burner.example", "disposable_email"),
        ("spy@rival.io", "competitor"),
        ("spy@eu.rival.io", "competitor"),
        ("someone@example.com", "test_data"),
        ("test@bank.de", "test_data"),
        ("asdf.asdf@bank.de", "test_data"),
    ],
)
def test_email_problems_are_flagged_with_reasons(email, code):
    cleaned = clean_lead({"email": email}, RULES)
    assert code in {flag.code for flag in cleaned.flags}
    assert all(flag.reason for flag in cleaned.flags)


def test_test_patterns_match_whole_words_only():
    assert "test_data" not in codes({"email": "celeste@bank.de", "first_name": "Celeste", "company": "Contest AG"})
    assert "test_data" in codes({"email": "jane@bank.de", "first_name": "Test", "last_name": "User"})


@pytest.mark.parametrize(
    "phone, country, expected",
    [
        ("+49 30 1234 5678", "", "+493012345678"),
        ("(030) 1234-5678", "DE", "+493012345678"),
        ("0049 30 12345678", "DE", "+493012345678"),
        ("+1 (415) 555-2671", "", "+14155552671"),
    ],
)
def test_phones_in_any_format_become_e164(phone, country, expected):
    assert normalise_phone(phone, country) == (expected, "")


@pytest.mark.parametrize(
    "phone, fragment",
    [
        ("+49 1111111111", "the same digit repeated"),
        ("+49 123456789", "a run of consecutive digits"),
        ("+49 987654321", "a run of consecutive digits"),
        ("call me maybe", "not a phone number"),
        ("+49 12", "not"),
        ("12345", "not"),
    ],
)
def test_fake_and_invalid_phones(phone, fragment):
    number, reason = normalise_phone(phone, "DE")
    assert number == "" and fragment in reason
    assert "invalid_phone" in codes({"email": "jane@bank.de", "phone": phone, "country": "DE"})


@pytest.mark.parametrize(
    "phone, fragment",
    [
        # A real area code or mobile prefix, then one digit over and over: libphonenumber says valid.
        ("+49 30 0000000", "a real prefix followed by the same digit repeated"),
        ("+49 30 7777777", "a real prefix followed by the same digit repeated"),
        ("0151 11111111", "a real prefix followed by the same digit repeated"),
        ("+1 212 555 5555", "a real prefix followed by the same digit repeated"),
        ("+33 6 00 00 00 00", "a real prefix followed by the same digit repeated"),
        # Numbers regulators keep for films and examples.
        ("+1 (415) 555-0123", "a fictional 555-01xx number"),
        ("+44 20 7946 0958", "a number set aside for films and examples"),
        ("+44 161 496 0000", "a number set aside for films and examples"),
        ("+44 28 9649 6123", "a number set aside for films and examples"),
    ],
)
def test_made_up_numbers_libphonenumber_accepts_are_flagged(phone, fragment):
    number, reason = normalise_phone(phone, "DE")
    assert number == "" and reason == f"looks made up: {fragment}"
    assert "invalid_phone" in codes({"email": "jane@bank.de", "phone": phone, "country": "DE"})


@pytest.mark.parametrize(
    "phone, expected",
    [
        ("+49 89 1111 2345", "+498911112345"),  # repeated digits, but not the whole subscriber number
        ("+49 30 2000000", "+49302000000"),  # a switchboard's round number
        ("+1 212 555 2671", "+12125552671"),  # 555, but not 555-01xx
        ("+44 20 7946 1234", "+442079461234"),  # next to the drama range, not in it
        ("+44 161 496 1000", "+441614961000"),
    ],
)
def test_real_numbers_with_repeated_digits_pass(phone, expected):
    assert normalise_phone(phone, "DE") == (expected, "")


def test_control_characters_and_huge_strings_are_made_safe():
    text, truncated = clean_text("Ja\x00ne\u202e\x1b[31m " + "x" * 20_000, 100)
    assert "\x00" not in text and "\u202e" not in text and "\x1b" not in text
    assert truncated and len(text) <= 100
    cleaned = clean_lead({"email": "jane@bank.de", "first_name": "y" * 10_000}, RULES)
    assert "truncated" in {flag.code for flag in cleaned.flags}
    assert not cleaned.is_junk  # truncation is a note, not junk


def test_markup_in_names_is_junk():
    cleaned = clean_lead({"email": "jane@bank.de", "first_name": "<img src=x onerror=alert(1)>"}, RULES)
    assert "markup" in {flag.code for flag in cleaned.flags}
    assert cleaned.is_junk


def test_mixed_scripts_and_lists_are_accepted():
    cleaned = clean_lead({"email": ["Ülrich@bänk.de"], "first_name": "Юлия", "last_name": "李"}, RULES)
    assert cleaned.values["first_name"] == "Юлия" and cleaned.values["last_name"] == "李"
    assert cleaned.email_key == email_identity_key(cleaned.email)
