"""Which consent policy applies to a visitor, and what their answer means for marketing.

Double opt-in: under a policy that asks for it, a granted decision is recorded as awaiting confirmation,
the person's consent is left as it was, and an email with a signed link is queued in the outbox. The link
opens a page with a Confirm button (mail scanners fetch links: a GET changes nothing); the POST adds the
confirming row to the ledger and grants the person's consent (`consent_confirm`).
"""

from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from forms.models import ConsentPolicy, ConsentRecord
from forms.models.consent import EVERYWHERE_ELSE
from leads.models import Consent
from leads.selectors import person_by_email
from leads.services import person_consent_set
from outbox.services import outbox_queue

# Used only when the policy table has no row for the country and no "*" row: the strict choice.
FALLBACK_TEXT = "Yes, I'd like to receive news, research and event invitations by email. I can unsubscribe at any time."


@dataclass(frozen=True)
class AppliedPolicy:
    country: str  # the policy row's country ("*" for everywhere else)
    show_checkbox: bool
    opt_in_required: bool
    text: str
    version: int
    double_opt_in: bool = False

    @property
    def token(self) -> str:
        """What the rendered form carries back, so the decision is judged against what was shown."""
        return f"{self.country}:{self.version}"

    def granted(self, ticked: bool) -> bool:
        """A shown box counts only when ticked; with no box, consent is implied where no opt-in is required."""
        if self.show_checkbox:
            return bool(ticked)
        return not self.opt_in_required

    def awaits_confirmation(self, ticked: bool) -> bool:
        """A granted decision under double opt-in counts only once the emailed link is clicked."""
        return self.double_opt_in and self.granted(ticked)


def policy_for(country: str) -> AppliedPolicy:
    """The policy for a two-letter country code; unknown or empty countries get the "*" row."""
    country = (country or "").strip().upper()
    rows = {row.country: row for row in ConsentPolicy.objects.filter(country__in=[country, EVERYWHERE_ELSE])}
    row = rows.get(country) or rows.get(EVERYWHERE_ELSE)
    if row is None:
        return AppliedPolicy(EVERYWHERE_ELSE, True, True, FALLBACK_TEXT, 0)
    return AppliedPolicy(row.country, row.show_checkbox, row.opt_in_required, row.text, row.version, row.double_opt_in)


def policy_from_token(token: str) -> AppliedPolicy | None:
    """The policy a form was rendered with, if it still has that version (None if changed or forged)."""
    country, _, version = (token or "").partition(":")
    policy = policy_for(country) if country else None
    if policy is None or policy.country != country.upper() or str(policy.version) != version:
        return None
    return policy


def consent_record(
    *,
    policy: AppliedPolicy,
    ticked: bool,
    country: str,
    lead=None,
    email="",
    visitor_id="",
    form_page=None,
    channel="web",
    ip_address=None,
) -> ConsentRecord:
    awaiting = policy.awaits_confirmation(ticked)
    return ConsentRecord.objects.create(
        lead=lead,
        email=email[:254],
        visitor_id=visitor_id[:64],
        country=(country or "")[:2],
        policy_country=policy.country,
        checkbox_shown=policy.show_checkbox,
        granted=policy.granted(ticked),
        text=policy.text,
        version=policy.version,
        form_page=form_page,
        form_title=form_page.title[:255] if form_page else "",
        channel=channel,
        ip_address=ip_address,
        recorded_at=timezone.now(),
        confirmation=ConsentRecord.Confirmation.AWAITING if awaiting else ConsentRecord.Confirmation.NOT_REQUIRED,
    )


# --- Double opt-in ----------------------------------------------------------------------------

CONSENT_CONFIRMATION = "forms.consent_confirmation"
CONFIRM_SALT = "signalpage.forms.consent-confirm"
# A confirmation link works for 30 days; after that the visitor fills in the form again.
CONFIRM_MAX_AGE = 30 * 24 * 3600
CONFIRMATION_SUBJECT = "Please confirm that you'd like to hear from us"


class ConfirmationLinkInvalid(Exception):
    pass


class ConfirmationLinkExpired(Exception):
    pass


def confirmation_path(record: ConsentRecord) -> str:
    token = signing.dumps(record.pk, salt=CONFIRM_SALT)
    return reverse("consent_confirm", args=[token])


def record_from_confirmation_token(token: str) -> ConsentRecord:
    """The decision awaiting confirmation that a link names; raises for tampered, expired or unknown links."""
    if not isinstance(token, str) or len(token) > 200:
        raise ConfirmationLinkInvalid
    try:
        record_id = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationLinkExpired from None
    except signing.BadSignature:
        raise ConfirmationLinkInvalid from None
    record = (
        ConsentRecord.objects.filter(pk=record_id, confirmation=ConsentRecord.Confirmation.AWAITING).first()
        if isinstance(record_id, int)
        else None
    )
    if record is None:
        raise ConfirmationLinkInvalid
    return record


def confirmation_queue(record: ConsentRecord, *, link: str, first_name: str = "", from_email: str = ""):
    """The confirmation email with the signed link, written to the outbox in the caller's transaction
    (one per decision: the outbox refuses a second under the same key)."""
    lines = [
        f"Hello {first_name or 'there'},",
        "",
        "Please confirm that you'd like to receive email from us. You agreed to this:",
        "",
        f"“{record.text}”",
        "",
        "Confirm here:",
        link,
        "",
        "If you didn't ask for this, ignore this email: you won't get marketing email from us without "
        "your confirmation.",
    ]
    return outbox_queue(
        CONSENT_CONFIRMATION,
        about=record,
        key="double_opt_in",
        to=[record.email],
        subject=CONFIRMATION_SUBJECT,
        text="\n".join(lines),
        from_email=from_email,
    )


@dataclass(frozen=True)
class Confirmed:
    record: ConsentRecord  # the confirming row
    newly: bool  # False when the link had been used already


@transaction.atomic
def consent_confirm(record: ConsentRecord, *, ip_address=None) -> Confirmed:
    """Confirm a decision awaiting confirmation: the confirming row (wording, time, how) and the person's
    consent granted. A second click confirms nothing more."""
    record = ConsentRecord.objects.select_for_update().get(pk=record.pk)
    existing = ConsentRecord.objects.filter(confirms=record).first()
    if existing is not None:
        return Confirmed(existing, False)
    confirming = ConsentRecord.objects.create(
        lead=record.lead,
        email=record.email,
        visitor_id=record.visitor_id,
        country=record.country,
        policy_country=record.policy_country,
        checkbox_shown=record.checkbox_shown,
        granted=True,
        text=record.text,
        version=record.version,
        form_page=record.form_page,
        form_title=record.form_title,
        channel="email",
        ip_address=ip_address,
        recorded_at=timezone.now(),
        confirmation=ConsentRecord.Confirmation.DOUBLE_OPT_IN,
        confirms=record,
    )
    person = _person_of(record)
    if person is not None:
        person_consent_set(person, Consent.GRANTED)
    return Confirmed(confirming, True)


def _person_of(record: ConsentRecord):
    lead = record.lead
    if lead is not None and lead.person_id:
        return lead.person
    return person_by_email(record.email)


def consent_withdrawal_record(*, email: str, text: str, lead=None, channel: str = "email", ip_address=None):
    """A withdrawal outside a form (an unsubscribe link, a provider's unsubscribe event), on the ledger."""
    return ConsentRecord.objects.create(
        lead=lead,
        email=(email or "")[:254],
        policy_country="",
        checkbox_shown=False,
        granted=False,
        text=text,
        version=0,
        channel=channel[:20],
        ip_address=ip_address,
        recorded_at=timezone.now(),
    )
