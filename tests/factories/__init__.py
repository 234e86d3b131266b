from .events import EventFactory, EventSessionFactory, RegistrationFactory, SpeakerFactory, WebinarFactory
from .formpages import LeadFormFieldFactory, LeadFormPageFactory
from .leads import CompanyFactory, PersonFactory
from .pages import (
    CaseStudyIndexPageFactory,
    CaseStudyPageFactory,
    HomePageFactory,
    StandardPageFactory,
    WhitepaperIndexPageFactory,
    WhitepaperPageFactory,
)
from .personalization import SegmentFactory
from .snippets import (
    AuthorFactory,
    CallToActionFactory,
    DocumentFactory,
    ImageFactory,
    IndustryFactory,
    ProductFactory,
    TopicFactory,
)

__all__ = [
    "EventFactory",
    "EventSessionFactory",
    "RegistrationFactory",
    "SpeakerFactory",
    "WebinarFactory",
    "LeadFormFieldFactory",
    "LeadFormPageFactory",
    "CompanyFactory",
    "PersonFactory",
    "SegmentFactory",
    "AuthorFactory",
    "CallToActionFactory",
    "CaseStudyIndexPageFactory",
    "CaseStudyPageFactory",
    "DocumentFactory",
    "HomePageFactory",
    "ImageFactory",
    "IndustryFactory",
    "ProductFactory",
    "StandardPageFactory",
    "TopicFactory",
    "WhitepaperIndexPageFactory",
    "WhitepaperPageFactory",
]
