"""Who gets a campaign: its audience sources turned into people (sources), who of them may get it and
why the others may not (campaigns.eligibility), the live count (summary) and the recipients written
down before sending (recording)."""

from .recording import recipients_record, sample_size
from .sources import AudienceError, audience_qs, source_q
from .summary import Summary, audience_summary, campaign_audience, left_out_sample

__all__ = [
    "AudienceError",
    "Summary",
    "audience_qs",
    "audience_summary",
    "campaign_audience",
    "left_out_sample",
    "recipients_record",
    "sample_size",
    "source_q",
]
