"""The suppression list: addresses no campaign email goes to, whoever holds them now or later.

Keyed like the lead store keys people (`leads.cleaning.email_identity_key` of the normalised address: lower
case, no +tag), so jane+news@x.com unsubscribing also covers jane@x.com, the mailbox both reach.

One row per address, and it keeps the strongest reason it was ever given:
    complaint > hard bounce > unsubscribed > imported = added by hand.
A complaint is the strongest (sending again harms the sender's reputation with every mailbox provider),
a hard bounce means the mailbox does not exist, an unsubscribe is the person's wish; an import or a manual
entry says least about why. So a bounce after an unsubscribe records the bounce; an unsubscribe after a
complaint keeps the complaint; an import never weakens anything. Deleting the row allows the address again.
"""

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import CampaignRecipient, EmailTopic, RecipientActivity, Suppression, TopicOptOut
from forms.services.consent import consent_withdrawal_record
from leads.cleaning import email_identity_key, normalise_email
from leads.models import Consent
from leads.services import interaction_record, person_consent_set

Reason = Suppression.Reason
STRENGTH = {
    Reason.COMPLAINT: 4,
    Reason.HARD_BOUNCE: 3,
    Reason.UNSUBSCRIBED: 2,
    Reason.IMPORTED: 1,
    Reason.MANUAL: 1,
}
IMPORT_BATCH = 1000
MAX_ERRORS_KEPT = 200  # per-line errors listed in a result; the count covers them all


def suppression_key(email: str) -> str:
    """The key of an address, or "" when it is not one (the lead store's key of the normalised address)."""
    if not isinstance(email, str) or len(email) > 254:
        return ""
    normalised, problem = normalise_email(email.strip())
    return "" if problem else email_identity_key(normalised)


def suppress(email: str, reason: str, *, detail: str = "", campaign=None) -> bool:
    """Put an address on the list. True when that changed something (a new row, or a stronger reason)."""
    if reason not in STRENGTH:
        raise ValueError(f"reason: one of {', '.join(STRENGTH)}")
    key = suppression_key(email)
    if not key:
        raise ValueError("email: not a valid address")
    values = {"reason": reason, "detail": (detail or "")[:500], "campaign": campaign}
    try:
        with transaction.atomic():
            _, created = Suppression.objects.get_or_create(email_key=key, defaults=values)
    except IntegrityError:  # the same address suppressed in another request at the same instant
        created = False
    if created:
        return True
    weaker = [name for name, strength in STRENGTH.items() if strength < STRENGTH[reason]]
    return bool(Suppression.objects.filter(email_key=key, reason__in=weaker).update(**values))


def is_suppressed(email: str) -> bool:
    key = suppression_key(email)
    return bool(key) and Suppression.objects.filter(email_key=key).exists()


def suppression_reason(email: str) -> str:
    """The reason an address is on the list, or "" when it is not."""
    key = suppression_key(email)
    return (Suppression.objects.filter(email_key=key).values_list("reason", flat=True).first() or "") if key else ""


# --- What a recipient did: unsubscribed, bounced, complained --------------------------------------

UNSUBSCRIBE_TEXT = "Unsubscribed from all marketing email"


def recipient_address(recipient: CampaignRecipient) -> str:
    return recipient.email or (recipient.person.email if recipient.person_id else "")


def recipient_unsubscribe(recipient: CampaignRecipient, *, via: str = "link", ip_address=None) -> bool:
    """Unsubscribe from all marketing email at once: the address suppressed, the recipient marked, the
    activity and an `unsubscribe` interaction recorded (the negative scoring rule fires), the person's
    consent withdrawn with a ledger row saying how. True the first time; a second call changes nothing.
    After subscribing again (campaigns.resubscribe) the same email's link unsubscribes again: the address
    goes back on the list with a new ledger row, the recipient's own mark and activity stay the first."""
    now = timezone.now()
    campaign = recipient.campaign
    with transaction.atomic():
        address = recipient_address(recipient)
        listed = bool(suppression_key(address)) and suppress(
            address, Reason.UNSUBSCRIBED, detail=f"Unsubscribed ({via})", campaign=campaign
        )
        first = CampaignRecipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
        if not first and not listed:
            return False
        if first:
            recipient.unsubscribed_at = now
            RecipientActivity.objects.create(
                recipient=recipient, kind=RecipientActivity.Kind.UNSUBSCRIBE, occurred_at=now, event_id=uuid.uuid4()
            )
        consent_withdrawal_record(email=address, text=UNSUBSCRIBE_TEXT, channel="email", ip_address=ip_address)
        person = recipient.person
        if person is not None:
            person_consent_set(person, Consent.WITHDRAWN)
            interaction_record(
                type="unsubscribe",
                person=person,
                object_type="email",
                object_id=str(campaign.pk),
                object_label=campaign.name,
                properties={"via": via},
                occurred_at=now,
            )
    return True


def recipient_bounced(recipient: CampaignRecipient, *, detail: str = "") -> bool:
    """A permanent bounce: the address suppressed (hard bounce), the recipient marked once."""
    return _recipient_failed(recipient, Reason.HARD_BOUNCE, "bounced_at", RecipientActivity.Kind.BOUNCE, detail)


def recipient_complained(recipient: CampaignRecipient, *, detail: str = "") -> bool:
    """Marked as spam: the address suppressed (complaint, the strongest reason), the recipient marked once."""
    return _recipient_failed(recipient, Reason.COMPLAINT, "complained_at", RecipientActivity.Kind.COMPLAINT, detail)


def recipient_soft_bounced(recipient: CampaignRecipient) -> bool:
    """A temporary failure the provider reports (it retries): the recipient marked once, nothing suppressed."""
    return _recipient_failed(recipient, None, "soft_bounced_at", RecipientActivity.Kind.SOFT_BOUNCE, "")


def _recipient_failed(recipient, reason, stamp, kind, detail) -> bool:
    now = timezone.now()
    with transaction.atomic():
        address = recipient_address(recipient)
        if reason is not None and suppression_key(address):
            suppress(address, reason, detail=detail, campaign=recipient.campaign)
        first = CampaignRecipient.objects.filter(pk=recipient.pk, **{f"{stamp}__isnull": True}).update(**{stamp: now})
        if first:
            setattr(recipient, stamp, now)
            RecipientActivity.objects.create(recipient=recipient, kind=kind, occurred_at=now, event_id=uuid.uuid4())
    return bool(first)


# --- The preference centre's kinds of email ---------------------------------------------------------


def topic_choices(person) -> list[tuple[EmailTopic, bool]]:
    """The active kinds of email, each with whether this person still receives it."""
    left = set(TopicOptOut.objects.filter(person=person).values_list("topic_id", flat=True)) if person else set()
    return [(topic, topic.pk not in left) for topic in EmailTopic.objects.filter(is_active=True)]


@transaction.atomic
def topics_choose(person, wanted_ids) -> None:
    """Keep the kinds of email ticked, leave the others (inactive topics and unknown ids are ignored)."""
    active = set(EmailTopic.objects.filter(is_active=True).values_list("pk", flat=True))
    wanted = active & set(wanted_ids)
    TopicOptOut.objects.filter(person=person, topic_id__in=wanted).delete()
    have = set(TopicOptOut.objects.filter(person=person).values_list("topic_id", flat=True))
    TopicOptOut.objects.bulk_create(
        [TopicOptOut(person=person, topic_id=pk) for pk in sorted(active - wanted - have)], ignore_conflicts=True
    )


# --- Import ------------------------------------------------------------------------------------


@dataclass
class LineError:
    line: int
    text: str
    message: str


@dataclass
class ImportResult:
    lines: int = 0  # lines holding an address (blank lines and a header are not counted)
    added: int = 0
    already: int = 0  # on the list before (their reason kept)
    duplicates: int = 0  # the same address again in the file (as a key: jane+x@ and jane@ are one)
    invalid: int = 0
    errors: list[LineError] = field(default_factory=list)  # the first MAX_ERRORS_KEPT, naming the line

    @property
    def summary(self) -> str:
        return (
            f"{self.added} added, {self.already} already on the list, {self.duplicates} duplicates, "
            f"{self.invalid} invalid"
        )


def import_lines(source) -> Iterable[tuple[int, str]]:
    """(line number, address) from an uploaded file (bytes), a text, or lines: one address per line, or
    CSV with an "email" column (any case) in its first row. Undecodable bytes are kept as replacement
    characters, so that line is reported invalid rather than failing the file."""
    if hasattr(source, "read"):
        source = source.read()
    if isinstance(source, bytes):
        source = source.decode("utf-8-sig", errors="replace")
    if isinstance(source, str):
        source = io.StringIO(source.lstrip("\ufeff"))
    rows = csv.reader(line.replace("\0", " ") for line in source)
    column = 0
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if number == 1:
            names = [cell.lower() for cell in cells]
            if "email" in names or "e-mail" in names:
                column = names.index("email") if "email" in names else names.index("e-mail")
                continue
        if not any(cells):
            continue
        yield number, cells[column] if column < len(cells) else ""


def suppressions_import(source, *, reason: str = Reason.IMPORTED, by=None) -> ImportResult:
    """Add many addresses at once (100,000 lines take seconds: inserted in batches, existing ones left as
    they are). Invalid lines are reported with their number, never fatal. `by` is who imported (for the
    caller's audit log)."""
    if reason not in (Reason.IMPORTED, Reason.MANUAL, Reason.UNSUBSCRIBED):
        raise ValueError("reason: imported, manual or unsubscribed")
    result = ImportResult()
    seen: set[str] = set()
    batch: list[str] = []
    for number, text in import_lines(source):
        result.lines += 1
        key = suppression_key(text)
        if not key:
            result.invalid += 1
            if len(result.errors) < MAX_ERRORS_KEPT:
                problem = normalise_email(text.strip())[1] if len(text) <= 254 else "longer than 254 characters"
                result.errors.append(LineError(number, text[:100], problem or "not an email address"))
            continue
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        batch.append(key)
        if len(batch) >= IMPORT_BATCH:
            _insert(batch, reason, result)
            batch = []
    if batch:
        _insert(batch, reason, result)
    return result


def _insert(keys: list[str], reason: str, result: ImportResult) -> None:
    existing = set(Suppression.objects.filter(email_key__in=keys).values_list("email_key", flat=True))
    new = [Suppression(email_key=key, reason=reason, detail="Imported") for key in keys if key not in existing]
    # ignore_conflicts: an address suppressed meanwhile (an unsubscribe during the import) keeps its row.
    Suppression.objects.bulk_create(new, ignore_conflicts=True, batch_size=IMPORT_BATCH)
    result.added += len(new)
    result.already += len(existing)
