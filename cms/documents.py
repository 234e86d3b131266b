"""The admin's document form (WAGTAILDOCS_DOCUMENT_FORM_BASE). Apart from cms.gated_documents, which
the page models import: Wagtail's document forms query the database when imported, so they may only
be imported once the models are loaded."""

from django import forms
from wagtail.documents.forms import BaseDocumentForm


class DocumentForm(BaseDocumentForm):
    """The admin's document form (WAGTAILDOCS_DOCUMENT_FORM_BASE): a gated whitepaper's PDF stays private."""

    def clean_collection(self):
        from cms.models import WhitepaperPage

        collection = self.cleaned_data.get("collection")
        moved = self.instance.pk is not None and collection is not None and collection.pk != self.instance.collection_id
        if not moved or collection.get_view_restrictions().exists():
            return collection
        gated = WhitepaperPage.objects.live().filter(document=self.instance, gated=True).order_by("title").first()
        if gated is not None:
            raise forms.ValidationError(
                f"This is the PDF of the gated whitepaper “{gated.title}”: in a public collection anyone could "
                "download it without the form. Keep it in a private collection."
            )
        return collection
