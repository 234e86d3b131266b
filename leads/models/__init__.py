"""The lead store: who people are, which company they work for, what they did, and every capture.

The system of record. Other apps write through leads.services and read through leads.selectors;
nothing here imports our other apps.

Split by what the rows are (each module says more): people.py (who), capture.py (what came in and
what happened), crm.py (pushes to the CRM), deals.py (what the CRM tells us back: deals and
feedback events), tags.py (labels on people), rules.py (what marketing
operations edit). Import from here: `from leads.models import Person`.
"""

from .capture import Interaction, Lead, StageTransition
from .crm import CrmDelivery, CrmDeliveryAttempt
from .deals import CrmFeedbackEvent, Deal
from .people import (
    EMPLOYEE_BANDS,
    FUNDING_STAGES,
    Company,
    CompanyDomain,
    Consent,
    Person,
    PersonMerge,
    Seniority,
    Stage,
    VisitorLink,
)
from .rules import LeadStoreSettings, SalesRep, ScoringRule
from .tags import PersonTag, Tag

__all__ = [
    "EMPLOYEE_BANDS",
    "FUNDING_STAGES",
    "Company",
    "CompanyDomain",
    "Consent",
    "CrmDelivery",
    "CrmDeliveryAttempt",
    "CrmFeedbackEvent",
    "Deal",
    "Interaction",
    "Lead",
    "LeadStoreSettings",
    "Person",
    "PersonMerge",
    "PersonTag",
    "SalesRep",
    "ScoringRule",
    "Seniority",
    "Stage",
    "StageTransition",
    "Tag",
    "VisitorLink",
]
