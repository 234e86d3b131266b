"""Writes to the lead store. Every other app goes through these functions."""

from .capture import lead_capture, lead_process, leads_reprocess_failed
from .identity import company_resolve, person_merge, person_resolve, visitor_link

__all__ = [
    "company_resolve",
    "lead_capture",
    "lead_process",
    "leads_reprocess_failed",
    "person_merge",
    "person_resolve",
    "visitor_link",
]
