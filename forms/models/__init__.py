"""Gated forms: form pages built by marketers, consent, rejected submissions, imports, webhooks."""

from .consent import ConsentPolicy, ConsentRecord
from .imports import LeadImport, LeadImportResult
from .pages import FieldMapping, FormPurpose, LeadFormField, LeadFormPage, LeadFormSubmission
from .spam import RejectedSubmission
from .webhooks import WebhookReceipt

__all__ = [
    "ConsentPolicy",
    "ConsentRecord",
    "FieldMapping",
    "FormPurpose",
    "LeadFormField",
    "LeadFormPage",
    "LeadFormSubmission",
    "LeadImport",
    "LeadImportResult",
    "RejectedSubmission",
    "WebhookReceipt",
]
