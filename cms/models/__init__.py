from .events import EventIndexPage, EventPage
from .pages import (
    BasePage,
    CaseStudyIndexPage,
    CaseStudyPage,
    CaseStudyRelatedWhitepaper,
    HomePage,
    StandardPage,
    WhitepaperIndexPage,
    WhitepaperPage,
)
from .settings import SiteSettings
from .snippets import Author, CallToAction, Industry, Product, Topic

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
