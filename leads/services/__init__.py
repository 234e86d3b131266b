"""Writes to the lead store. Every other app goes through these functions."""

from .bulk import BulkCapture, BulkOutcome, BulkRow, leads_import_batch
from .capture import lead_capture, lead_process, leads_reprocess_failed
from .crm import crm_deliver, crm_deliver_due, crm_push_queue
from .identity import company_resolve, person_consent_set, person_merge, person_resolve, visitor_link
from .interactions import interaction_record
from .lifecycle import sales_accept, sales_mark, sales_reject, stage_change, stage_rules_apply
from .routing import person_assign, person_reassign
from .scoring import (
    is_marketing_qualified,
    people_rescore,
    people_rescore_all,
    person_rescore,
    score_explanation,
)
from .tags import (
    TagError,
    people_tags_add,
    people_tags_remove,
    person_tags_add,
    person_tags_remove,
    tag_create,
    tag_delete,
    tag_names_parse,
    tag_rename,
    tags_find,
    tags_resolve,
)
from .visitor_history import tracked_link_identified, tracked_link_refused

__all__ = [
    "crm_deliver",
    "crm_deliver_due",
    "crm_push_queue",
    "interaction_record",
    "person_assign",
    "person_reassign",
    "sales_accept",
    "sales_mark",
    "sales_reject",
    "stage_change",
    "stage_rules_apply",
    "is_marketing_qualified",
    "people_rescore_all",
    "person_rescore",
    "score_explanation",
    "company_resolve",
    "lead_capture",
    "lead_process",
    "leads_reprocess_failed",
    "person_consent_set",
    "person_merge",
    "person_resolve",
    "visitor_link",
    "tracked_link_identified",
    "tracked_link_refused",
    "BulkCapture",
    "BulkOutcome",
    "BulkRow",
    "leads_import_batch",
    "people_rescore",
    "TagError",
    "people_tags_add",
    "people_tags_remove",
    "person_tags_add",
    "person_tags_remove",
    "tag_create",
    "tag_delete",
    "tag_names_parse",
    "tag_rename",
    "tags_find",
    "tags_resolve",
]
