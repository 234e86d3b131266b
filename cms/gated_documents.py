"""A gated whitepaper's PDF has no public URL, whatever collection the editor uploaded it into.

Wagtail serves a document at /documents/<id>/<file> to anyone unless its collection has a view
restriction; uploads land in the public root collection by default. So:

- When a gated whitepaper is published, its PDF is moved to a private collection if it is not in one
  ("Gated whitepapers", login required, created on first use): in the admin before the page goes
  live (the `before_publish_page` hook, which tells the editor), and on every other publication
  (scheduled, a workflow's approval, the demo, scripts) by the `page_published` signal.
- Moving is refused when it would break a public use of the same file: another live page offers it
  without a form or links to it, or a snippet does. The whitepaper's admin form says why, on
  publishing (saving a draft exposes nothing). The same form refuses an ungated whitepaper whose PDF
  is private (visitors would be asked to log in), and the document form refuses moving a gated PDF
  back to a public collection (cms.documents).

Visitors get a gated PDF only through the gate form's signed download link (forms.views.gated_download).
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.models import Collection, CollectionViewRestriction, Page, ReferenceIndex

logger = logging.getLogger(__name__)

# The demo's loader makes the same collection for its gated PDFs (cms.demo.pages).
GATED_COLLECTION = "Gated whitepapers"


def document_is_private(document) -> bool:
    """Whether Wagtail's document URL asks for more than nothing: its collection, or one above it,
    has a view restriction (login, groups or a password)."""
    return document.collection.get_view_restrictions().exists()


def gated_collection() -> Collection:
    """The private collection gated PDFs are moved to; made (login required) on first use, and made
    private again if someone opened it up, since it exists to keep them private."""
    with transaction.atomic():
        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name=GATED_COLLECTION).first()
        if collection is None:
            collection = root.add_child(name=GATED_COLLECTION)
        if not collection.get_view_restrictions().exists():
            CollectionViewRestriction.objects.create(
                collection=collection, restriction_type=CollectionViewRestriction.LOGIN
            )
    return collection


def document_public_uses(document, *, besides=None) -> list[str]:
    """Where the document is offered publicly, apart from the page `besides`: live pages that link
    it or offer it without a form, and snippets; a gated whitepaper offering it is not a public use."""
    from cms.models import WhitepaperPage

    page_type = ContentType.objects.get_for_model(Page)
    paths_by_page, others = {}, []
    for reference in ReferenceIndex.get_references_to(document).select_related("content_type"):
        if reference.base_content_type_id == page_type.pk:
            paths_by_page.setdefault(int(reference.object_id), set()).add(reference.model_path)
        else:
            others.append(reference)
    if besides is not None:
        paths_by_page.pop(besides.pk, None)
    uses = []
    for page in Page.objects.live().filter(pk__in=paths_by_page).specific().order_by("title"):
        if isinstance(page, WhitepaperPage) and page.gated and paths_by_page[page.pk] == {"document"}:
            continue
        uses.append(f"the page “{page.title}”")
    for reference in others:
        source = reference.content_type.get_object_for_this_type(pk=reference.object_id)
        if getattr(source, "live", True):  # a draft snippet shows nothing yet
            uses.append(f"the {reference.content_type.name} “{source}”")
    return uses


def gated_document_protect(page):
    """Move a gated whitepaper's PDF into the private collection; the document if it was moved, else None.

    Privacy comes first: outside the admin nobody can be asked, so a public use elsewhere (which the
    admin form refuses to publish over) is logged, and the PDF is moved all the same."""
    document = page.document if page.gated and page.document_id else None
    if document is None or document_is_private(document):
        return None
    uses = document_public_uses(document, besides=page)
    if uses:
        logger.warning(
            "Moved the PDF %r of the gated whitepaper %r to a private collection; its public "
            "links on %s now ask for a login",
            document.title,
            page.title,
            ", ".join(uses),
        )
    document.collection = gated_collection()
    document.save(update_fields=["collection"])
    return document


def on_page_published(sender, instance, **kwargs):
    """page_published receiver (cms.apps): every publication of a gated whitepaper, however it happens."""
    from cms.models import WhitepaperPage

    if isinstance(instance, WhitepaperPage):
        gated_document_protect(instance)


def moved_message(document) -> str:
    return (
        f"The PDF “{document.title}” was in a public collection, so anyone with its address could "
        f"download it. It has been moved to the private collection “{document.collection.name}”: "
        "visitors now get it only through the form's download link."
    )


class WhitepaperPageForm(WagtailAdminPageForm):
    """The whitepaper's admin form: refuses to publish a PDF the gate could not keep private, or an
    ungated whitepaper whose PDF visitors could not open."""

    def clean(self):
        cleaned_data = super().clean()
        document = cleaned_data.get("document")
        if self.is_deferred_validation or document is None:  # a draft makes nothing public
            return cleaned_data
        if cleaned_data.get("gated"):
            uses = [] if document_is_private(document) else document_public_uses(document, besides=self.instance)
            if uses:
                self.add_error(
                    "document",
                    (
                        f"This PDF is also offered without a form on {', '.join(uses)}. A gated whitepaper's PDF "
                        "is moved to a private collection when it is published, which would break those links, "
                        "and leaving it public would let anyone skip the form. Upload a separate copy of the "
                        "PDF for this whitepaper, or remove it from those pages first."
                    ),
                )
        elif document_is_private(document):
            self.add_error(
                "document",
                (
                    f"This PDF is in the private collection “{document.collection.name}”, so visitors would be "
                    "asked to log in to download it. Upload a separate copy for this ungated whitepaper, or tick "
                    "“gated” to hand it out through a form."
                ),
            )
        return cleaned_data
