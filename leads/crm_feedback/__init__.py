"""The CRM feedback webhook: the CRM tells the lead store what became of its opportunities.

The CRM (or a relay: a HubSpot or Salesforce workflow, Zapier, a small function) POSTs one change of one
opportunity as JSON to /api/v1/crm/feedback, signed like lead intake (core.webhook_signing) with
CRM_FEEDBACK_SECRET; unset, the webhook is off. The change names a person (email or PID) and/or a company
(CID or domain), the opportunity, its stage (opportunity, customer, lost), amount, currency, close date
and the CRM's time of the change. The deal is kept (leads.models.Deal), the people on it move through
the lifecycle with reason type CRM at the CRM's time, an event id is taken once and an older change never
overwrites a newer one.

The endpoint (leads/crm_feedback_api.py) only reads the request and renders what this package returns.
The parts, one module each: refusals.py (FeedbackRefused), reading.py (the body and the change in it),
receiving.py (one change, once: whom, the deal, the people). How to connect a CRM: docs/crm-feedback.md.
"""

from .reading import EVENT_ID_HEADER, FeedbackEvent, body_parse, feedback_read
from .receiving import FeedbackResult, feedback_receive
from .refusals import FeedbackRefused

__all__ = [
    "EVENT_ID_HEADER",
    "FeedbackEvent",
    "FeedbackRefused",
    "FeedbackResult",
    "body_parse",
    "feedback_read",
    "feedback_receive",
]
