from .case_studies import CaseStudyIndexPage, CaseStudyPage, CaseStudyRelatedWhitepaper
from .events import EventIndexPage, EventPage
from .pages import BasePage, HomePage, StandardPage
from .settings import SiteSettings
from .snippets import Author, CallToAction, Industry, Product, Topic
from .whitepapers import WhitepaperIndexPage, WhitepaperPage

__all__ = [
    "Author",
    "BasePage",
    "CallToAction",
    "CaseStudyIndexPage",
    "CaseStudyPage",
    "CaseStudyRelatedWhitepaper",
    "EventIndexPage",
    "EventPage",
    "HomePage",
    "Industry",
    "Product",
    "SiteSettings",
    "StandardPage",
    "Topic",
    "WhitepaperIndexPage",
    "WhitepaperPage",
]
