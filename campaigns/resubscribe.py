"""The way back after "unsubscribe from everything": subscribing again in the preference centre.

Only an unsubscribe is lifted. A hard bounce or a complaint stays on the suppression list (the mailbox does
not exist, or the person told their provider our mail is spam: sending again harms every recipient's
delivery), and so does an address imported or added by hand (we do not know why it is there).

The way back is a consent decision like a form's, recorded on the forms app's consent ledger through its
own services: the wording the page showed (RESUBSCRIBE_TEXT and the country's policy text), the time and
the address. Where the person's country asks for double opt-in, the same confirmation email as a form's
goes out (through the outbox) and the person's consent counts only once they click its link; until then
they count as "no consent", as after a form.

No interaction is written: the lead store has no kind for it, and no scoring rule reads one. The earlier
`unsubscribe` interaction stays (it happened).
"""

import enum
from collections.abc import Callable
from dataclasses import replace

from django.db import transaction

from campaigns.models import CampaignRecipient, Suppression
from campaigns.suppression import recipient_address, suppression_key
from forms.services.consent import confirmation_path, confirmation_queue, consent_record, policy_for
from leads.models import Consent
from leads.services import person_consent_set

RESUBSCRIBE_TEXT = "Resubscribed in the preference centre"


class Outcome(enum.StrEnum):
    RESUBSCRIBED = "resubscribed"  # off the list, consent granted
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # off the list, the double opt-in email sent
    KEPT = "kept"  # a bounce, complaint, import or manual entry: it stays, nothing recorded
    NOT_NEEDED = "not_needed"  # not on the list at all: nothing recorded


def resubscribe_terms(person) -> str:
    """What the preference centre shows above its button: the consent wording of the person's country."""
    return policy_for(person.country if person else "").text


def recipient_resubscribe(
    recipient: CampaignRecipient, *, absolute_url: Callable[[str], str], ip_address=None
) -> Outcome:
    """The person behind `recipient` asks for marketing email again. `absolute_url` makes the double
    opt-in link absolute (the caller knows the host it was asked on)."""
    person = recipient.person
    address = recipient_address(recipient)
    key = suppression_key(address)
    if person is None or not key:
        return Outcome.NOT_NEEDED
    with transaction.atomic():
        row = Suppression.objects.select_for_update().filter(email_key=key).first()
        if row is None:
            return Outcome.NOT_NEEDED
        if row.reason != Suppression.Reason.UNSUBSCRIBED:
            return Outcome.KEPT
        row.delete()
        policy = policy_for(person.country)
        # The button is an explicit act, like a ticked box, whatever the policy's form shows.
        # The ledger keeps how (RESUBSCRIBE_TEXT) and the wording shown above the button.
        shown = replace(policy, text=f"{RESUBSCRIBE_TEXT}: {policy.text}", show_checkbox=True)
        record = consent_record(
            policy=shown, ticked=True, country=person.country, email=address, channel="email", ip_address=ip_address
        )
        if record.confirmation == record.Confirmation.AWAITING:
            # Until the link is clicked the person must not count as consenting. After an unsubscribe their
            # consent says withdrawn already; an address suppressed another way (a provider's unsubscribe,
            # an import of unsubscribes) may still say granted.
            if person.consent == Consent.GRANTED:
                person_consent_set(person, Consent.WITHDRAWN)
            confirmation_queue(record, link=absolute_url(confirmation_path(record)), first_name=person.first_name or "")
            return Outcome.AWAITING_CONFIRMATION
        person_consent_set(person, Consent.GRANTED)
    return Outcome.RESUBSCRIBED
