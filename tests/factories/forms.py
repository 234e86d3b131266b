"""Consent policies, consent records and rejected submissions (the form pages are in formpages.py)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from forms.models import ConsentPolicy, ConsentRecord, RejectedSubmission

EU_CONSENT_TEXT = "Yes, send me research and event invitations by email. I can unsubscribe at any time."


class ConsentPolicyFactory(DjangoModelFactory):
    country = factory.Iterator(["DE", "FR", "US", "GB", "NL", "*"])
    show_checkbox = True
    opt_in_required = True
    text = EU_CONSENT_TEXT

    class Meta:
        model = ConsentPolicy
        django_get_or_create = ("country",)


class ConsentRecordFactory(DjangoModelFactory):
    email = factory.Sequence(lambda n: f"visitor{n}@meridian-bank.example")
    visitor_id = factory.Sequence(lambda n: f"v{n:031d}")
    country = "DE"
    policy_country = "DE"
    checkbox_shown = True
    granted = True
    text = EU_CONSENT_TEXT
    version = 1
    form_title = "Get the whitepaper"
    channel = "web"
    ip_address = "203.0.113.77"
    recorded_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = ConsentRecord


class RejectedSubmissionFactory(DjangoModelFactory):
    channel = "web"
    reason = RejectedSubmission.Reason.HONEYPOT
    detail = "the hidden field was filled in"
    ip_address = "198.51.100.23"
    email = factory.Sequence(lambda n: f"bot{n}@spam.example")
    payload_excerpt = '{"website": "http://spam.example"}'

    class Meta:
        model = RejectedSubmission
