"""Writes to the lead store. Every other app goes through these functions."""

from .capture import lead_capture, lead_process, leads_reprocess_failed
from .identity import company_resolve, person_merge, person_resolve, visitor_link
from .scoring import is_marketing_qualified, people_rescore_all, person_rescore, score_explanation

__all__ = [
    "is_marketing_qualified",
    "people_rescore_all",
    "person_rescore",
    "score_explanation",
    "company_resolve",
    "lead_capture",
    "lead_process",
    "leads_reprocess_failed",
    "person_merge",
    "person_resolve",
    "visitor_link",
]
