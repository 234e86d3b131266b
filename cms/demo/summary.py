"""What the demo holds, counted in the database: the summary `load_demo` prints (what README promises)."""

from django.contrib.auth import get_user_model
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.models import CaseStudyPage, StandardPage, WhitepaperPage
from events.models import Event, Registration, Speaker
from leads.models import Company, Lead, Person
from personalization.models import Segment


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def demo_summary() -> list[str]:
    """One line per part of the demo, e.g. '8 whitepapers (7 gated), 8 PDFs'."""
    whitepapers = WhitepaperPage.objects.live()
    return [
        f"{_plural(StandardPage.objects.live().count(), 'official page')}, "
        f"{_plural(whitepapers.count(), 'whitepaper')} ({whitepapers.exclude(gate_form=None).count()} gated), "
        f"{_plural(CaseStudyPage.objects.live().count(), 'case study', 'case studies')}",
        f"{_plural(get_image_model().objects.count(), 'image')}, "
        f"{_plural(get_document_model().objects.count(), 'document')} (the whitepapers' PDFs)",
        f"lead store: {_plural(Person.objects.count(), 'person', 'people')} at "
        f"{_plural(Company.objects.count(), 'company', 'companies')}, {_plural(Lead.objects.count(), 'lead')}",
        f"{_plural(Segment.objects.count(), 'segment')} with personalised content on the home and platform pages",
        f"{_plural(Event.objects.count(), 'event')} with {_plural(Speaker.objects.count(), 'speaker')} and "
        f"{_plural(Registration.objects.count(), 'registration')}",
        f"{_plural(get_user_model().objects.count(), 'login')}",
    ]
