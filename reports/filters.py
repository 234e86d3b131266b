"""The filters every people-based report shares: channel, source, medium, campaign, referrer, form,
industry, country, owner and team. They filter the person's journey (reports.models.PersonJourney),
so a funnel, a channel table and the sales list opened from either agree on who is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q

from .channels import CHANNELS
from .periods import ReportInputError

TEXT_FILTERS = {
    # query parameter: (journey column, label)
    "source": ("source", "Source"),
    "medium": ("medium", "Medium"),
    "campaign": ("campaign", "Campaign"),
    "referrer": ("referrer_domain", "Referrer"),
    "industry": ("industry", "Industry"),
    "team": ("team", "Team"),
}
FILTER_NAMES = ("channel", *TEXT_FILTERS, "form", "country", "owner")
MAX_TEXT = 255


@dataclass(frozen=True)
class ReportFilters:
    values: dict = field(default_factory=dict)  # parameter -> cleaned value; only the ones set

    def __bool__(self):
        return bool(self.values)

    def q(self, prefix: str = "") -> Q:
        """The condition on a PersonJourney (`prefix` reaches it through a relation, e.g. "person__journey__")."""
        condition = Q()
        for name, value in self.values.items():
            if name in TEXT_FILTERS:
                condition &= Q(**{f"{prefix}{TEXT_FILTERS[name][0]}": value})
            elif name == "channel":
                condition &= Q(**{f"{prefix}channel": value})
            elif name == "country":
                condition &= Q(**{f"{prefix}country": value})
            elif name == "owner":
                condition &= Q(**{f"{prefix}owner_id": value})
            elif name == "form":
                origin_type, origin_id = value
                condition &= Q(**{f"{prefix}first_origin_type": origin_type, f"{prefix}first_origin_id": origin_id})
        return condition

    def query(self) -> dict[str, str]:
        """The query-string parameters that give these filters back."""
        params = {}
        for name, value in self.values.items():
            params[name] = f"{value[0]}:{value[1]}" if name == "form" else str(value)
        return params

    def query_string(self) -> str:
        return urlencode(self.query())


def filters_from_request(params) -> ReportFilters:
    """Read and check the filters; a wrong one raises ReportInputError naming it."""
    values = {}
    for name in FILTER_NAMES:
        raw = params.get(name)
        if raw is None or not str(raw).strip():
            continue
        raw = str(raw).strip()
        if "\x00" in raw or len(raw) > MAX_TEXT:
            raise ReportInputError(name, f"must be text of at most {MAX_TEXT} characters")
        if name == "channel":
            if raw not in CHANNELS:
                raise ReportInputError(name, f"must be one of {', '.join(CHANNELS)}")
            values[name] = raw
        elif name == "country":
            if not (len(raw) == 2 and raw.isascii() and raw.isalpha()):
                raise ReportInputError(name, "must be a two-letter country code, e.g. DE")
            values[name] = raw.upper()
        elif name == "owner":
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
                raise ReportInputError(name, "must be a user id")
            values[name] = int(raw)
        elif name == "form":
            origin_type, _, origin_id = raw.partition(":")
            if origin_type not in ("form", "content", "event", "other") or not origin_id or len(origin_id) > 64:
                raise ReportInputError(name, "must be <form|content|event>:<id>, e.g. form:12")
            values[name] = (origin_type, origin_id)
        else:
            values[name] = raw
    return ReportFilters(values)
