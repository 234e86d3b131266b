"""Which consent policy applies to a visitor, and what their answer means for marketing."""

from dataclasses import dataclass

from django.utils import timezone

from forms.models import ConsentPolicy, ConsentRecord
from forms.models.consent import EVERYWHERE_ELSE

# Used only when the policy table has no row for the country and no "*" row: the strict choice.
FALLBACK_TEXT = "Yes, I'd like to receive news, research and event invitations by email. I can unsubscribe at any time."


@dataclass(frozen=True)
class AppliedPolicy:
    country: str  # the policy row's country ("*" for everywhere else)
    show_checkbox: bool
    opt_in_required: bool
    text: str
    version: int

    @property
    def token(self) -> str:
        """What the rendered form carries back, so the decision is judged against what was shown."""
        return f"{self.country}:{self.version}"

    def granted(self, ticked: bool) -> bool:
        """A shown box counts only when ticked; with no box, consent is implied where no opt-in is required."""
        if self.show_checkbox:
            return bool(ticked)
        return not self.opt_in_required


def policy_for(country: str) -> AppliedPolicy:
    """The policy for a two-letter country code; unknown or empty countries get the "*" row."""
    country = (country or "").strip().upper()
    rows = {row.country: row for row in ConsentPolicy.objects.filter(country__in=[country, EVERYWHERE_ELSE])}
    row = rows.get(country) or rows.get(EVERYWHERE_ELSE)
    if row is None:
        return AppliedPolicy(EVERYWHERE_ELSE, True, True, FALLBACK_TEXT, 0)
    return AppliedPolicy(row.country, row.show_checkbox, row.opt_in_required, row.text, row.version)


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
    )
