"""The headless content API: Wagtail API v2 with our filters, renditions and draft preview.

Mounted at /api/v2/: pages/, images/, documents/, preview/. Rich text is HTML with internal links
resolved (WAGTAILAPI_RICH_TEXT_FORMAT = "html").
"""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.signing import BadSignature, SignatureExpired
from django.core.validators import slug_re
from django.db import models
from django.urls import NoReverseMatch
from modelsearch.utils import parse_query_string
from rest_framework import status
from rest_framework.fields import Field
from rest_framework.filters import BaseFilterBackend
from rest_framework.response import Response
from taggit.managers import TaggableManager
from wagtail.api.v2.filters import (
    AncestorOfFilter,
    ChildOfFilter,
    DescendantOfFilter,
    FieldsFilter,
    LocaleFilter,
    OrderingFilter,
    SearchFilter,
    TranslationOfFilter,
)
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.serializers import DetailUrlField, PageHtmlUrlField, PageParentField, PageSerializer
from wagtail.api.v2.serializers import get_serializer_class as wagtail_serializer_class
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.serializers import DocumentDownloadUrlField, DocumentSerializer
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.serializers import ImageSerializer
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.backends.base import FilterFieldError, OrderByFieldError
from wagtail_headless_preview.models import PagePreview

from cms.absolute_urls import development_origin
from cms.models import Industry, Topic
from cms.serializers import image_representation
from core.edge import DATABASE_INT_MAX


class ValidatedFieldsFilter(FieldsFilter):
    """Wagtail's ?field=value filter, but a value of the wrong kind is a 400 naming the field.

    Upstream converts booleans and integers itself and lets anything else reach the ORM, where
    ?publish_date=yesterday or ?topics=abc raised a 500; so did a number no database column holds
    (?topics=99999999999999999999999: SQLite cannot bind it), which is checked before the query runs.
    """

    def filter_queryset(self, request, queryset, view):
        view = _WithoutTaxonomies(view)
        fields = set(view.get_available_fields(queryset.model, db_fields_only=True))
        for name in sorted(fields.intersection(request.GET)):
            if _holds_whole_numbers(queryset.model, name) and not all(
                _fits_the_database(value) for value in request.GET.getlist(name)
            ):
                raise BadRequestError(
                    f"field filter error: {name} must be a whole number from "
                    f"{-DATABASE_INT_MAX - 1} to {DATABASE_INT_MAX}"
                )
        try:
            return super().filter_queryset(request, queryset, view)
        except (ValueError, ValidationError, TypeError) as exc:
            named = sorted(name for name in request.GET if name in fields)
            raise BadRequestError(f"field filter error: invalid value for {', '.join(named)}") from exc


class _WithoutTaxonomies:
    """The view as the field filter sees it, minus ?topic= and ?industry=: those take a slug and belong
    to TaxonomyFilter. A case study's `industry` is also a field, so ?industry=banking was read as an
    id there, and every case-study listing filtered by industry was a 400."""

    def __init__(self, view):
        self._view = view

    def get_available_fields(self, model, db_fields_only=False):
        return [
            name
            for name in self._view.get_available_fields(model, db_fields_only=db_fields_only)
            if name not in TaxonomyFilter.TAXONOMIES
        ]

    def __getattr__(self, name):
        return getattr(self._view, name)


def _holds_whole_numbers(model, name) -> bool:
    """An integer column, or a relation to rows with integer ids (ForeignKey, ManyToMany); not tags,
    which upstream filters by name (?tags=banking,retail)."""
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends: upstream reports those
        return False
    if isinstance(field, TaggableManager):
        return False
    if field.is_relation:
        field = field.target_field if field.many_to_one or field.one_to_one else field.related_model._meta.pk
    return isinstance(field, models.IntegerField | models.AutoField)


def _fits_the_database(value: str) -> bool:
    digits = value.removeprefix("-")
    return digits.isascii() and digits.isdigit() and -DATABASE_INT_MAX - 1 <= int(value) <= DATABASE_INT_MAX


class ContentSearchFilter(SearchFilter):
    """Wagtail's ?search=, with the query parsed like the site's search box (cms.selectors_search):
    quoted phrases work, and a stray quote or a query of blanks no longer reaches SQLite's FTS5 as a
    syntax error or an empty expression (both were 500s). ?search_operator= takes 'and' or 'or' only
    (anything else was a ValueError from the backend)."""

    def filter_queryset(self, request, queryset, view):
        if "search" not in request.GET:
            return queryset
        operator = request.GET.get("search_operator")
        if operator not in (None, "and", "or"):
            raise BadRequestError("search_operator: the accepted values are 'and' and 'or'")
        if not getattr(settings, "WAGTAILAPI_SEARCH_ENABLED", True):
            raise BadRequestError("search is disabled")
        if getattr(queryset, "_filtered_by_tag", False):
            raise BadRequestError("filtering by tag with a search query is not supported")
        _, query = parse_query_string(request.GET["search"], operator=operator, zero_terms="")
        try:
            return get_search_backend().search(query, queryset, order_by_relevance="order" not in request.GET)
        except (FilterFieldError, OrderByFieldError) as exc:
            verb = "filter" if isinstance(exc, FilterFieldError) else "order"
            raise BadRequestError(
                f"cannot {verb} by '{exc.field_name}' while searching (field is not indexed)"
            ) from exc


class TaxonomyFilter(BaseFilterBackend):
    """?topic=<slug> and ?industry=<slug> on page listings, for types that have them."""

    TAXONOMIES = {"topic": (Topic, ("topics",)), "industry": (Industry, ("industries", "industry"))}

    def filter_queryset(self, request, queryset, view):
        for param, (model, field_names) in self.TAXONOMIES.items():
            slug = request.GET.get(param)
            if slug is None:
                continue
            field = next((n for n in field_names if _has_field(queryset.model, n)), None)
            if field is None:
                raise BadRequestError(
                    f"{param} filter needs a single page type that has it, e.g. ?type=cms.WhitepaperPage"
                )
            # Checked before the query: PostgreSQL refuses NUL bytes with an error, not an empty result.
            term = model.objects.filter(slug=slug).first() if slug_re.fullmatch(slug) else None
            if term is None:
                raise BadRequestError(f"{param} '{slug}' does not exist")
            queryset = queryset.filter(**{field: term})
        return queryset


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends
        return False
    return True


# --- Absolute links in the API (cms.absolute_urls): configured in production, the request's host in development ---
def _on_served_origin(url, request):
    """`url` on the host and port this request came to, in development; unchanged in production."""
    origin = development_origin(request)
    if not origin or not url:
        return url
    parts = urlsplit(url)
    return origin + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


class ServedDetailUrlField(DetailUrlField):
    def get_attribute(self, instance):
        return _on_served_origin(super().get_attribute(instance), self.context["request"])


class ServedHtmlUrlField(PageHtmlUrlField):
    def to_representation(self, page):
        request = self.context["request"]
        try:
            return _on_served_origin(page.get_full_url(request), request)
        except NoReverseMatch:
            return None


class ServedPageParentField(PageParentField):
    def to_representation(self, value):
        serializer_class = wagtail_serializer_class(
            value.__class__,
            ["id", "type", "detail_url", "html_url", "title"],
            meta_fields=["type", "detail_url", "html_url"],
            base=ContentPageSerializer,
        )
        return serializer_class(context=self.context).to_representation(value)


class ContentPageSerializer(PageSerializer):
    detail_url = ServedDetailUrlField(read_only=True)
    html_url = ServedHtmlUrlField(read_only=True)
    parent = ServedPageParentField(read_only=True)


class ServedDocumentDownloadUrlField(DocumentDownloadUrlField):
    def to_representation(self, document):
        return _on_served_origin(super().to_representation(document), self.context["request"])


class ContentDocumentSerializer(DocumentSerializer):
    detail_url = ServedDetailUrlField(read_only=True)
    download_url = ServedDocumentDownloadUrlField(read_only=True)


class ContentPagesAPIViewSet(PagesAPIViewSet):
    base_serializer_class = ContentPageSerializer
    filter_backends = [
        ValidatedFieldsFilter,
        TaxonomyFilter,
        ChildOfFilter,
        AncestorOfFilter,
        DescendantOfFilter,
        OrderingFilter,
        TranslationOfFilter,
        LocaleFilter,
        ContentSearchFilter,  # last: search results cannot be filtered further
    ]
    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(
        ["topic", "industry", "variants", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
    )

    def listing_view(self, request):
        """Wagtail's listing, kept per content epoch, host and query: it is the same for every caller (live,
        public pages; no personalised field unless `fields` asks, and then it is not kept)."""
        from django.core.cache import cache

        key = _listing_cache_key(request)
        data = cache.get(key) if key else None
        if data is not None:
            return Response(data)
        response = super().listing_view(request)
        if key and response.status_code == 200:
            cache.set(key, response.data, settings.PERSONALIZATION_PAGE_CACHE_SECONDS)
        return response

    def detail_view(self, request, pk):
        """A page for a visitor: personalised blocks resolve for the visitor (X-Visitor-Id header or the
        cookie) exactly as the site would, and the view counts as their page view."""
        from rest_framework.exceptions import PermissionDenied

        from cms.page_cache import api_detail, api_detail_from_route, page_view_record
        from personalization.selectors import api_token_valid

        if request.GET.get("variants") == "all" and not api_token_valid(request):
            raise PermissionDenied(
                "variants=all needs an API token: send Authorization: Bearer <token> "
                "with one of PERSONALIZATION_API_TOKENS."
            )
        if request.GET.get("variants") not in (None, "all"):
            raise BadRequestError("variants: the only accepted value is 'all'.")
        if request.GET.get("variants") != "all":
            kept = api_detail_from_route(request, pk)
            if kept is not None:
                return Response(kept)
        instance = self.get_object()
        request.pz_page_id = instance.pk
        if request.GET.get("variants") == "all":
            return Response(self.get_serializer(instance).data)
        page_view_record(instance, request)
        return Response(api_detail(instance, request, lambda: self.get_serializer(instance).data))


def _listing_cache_key(request) -> str | None:
    """The page listing's cache key, or None when the answer may differ by caller (fields, search, a token)."""
    import hashlib

    from django.utils.http import urlencode

    from cms.page_cache import content_epoch

    if (
        request.method != "GET"
        or {"fields", "search", "variants"} & set(request.GET)
        or "Authorization" in request.headers
    ):
        return None
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    place = f"{content_epoch()}|{request.get_host()}|{request.is_secure()}|{query}"
    return "cms:api:pages:" + hashlib.blake2s(place.encode(), digest_size=16).hexdigest()


class RenditionsField(Field):
    def get_attribute(self, instance):
        return instance

    def to_representation(self, image):
        return image_representation(image, self.context.get("request"))["renditions"]


class ImageWithRenditionsSerializer(ImageSerializer):
    detail_url = ServedDetailUrlField(read_only=True)
    renditions = RenditionsField(read_only=True)


class ContentImagesAPIViewSet(ImagesAPIViewSet):
    """Images with alt text; the detail view adds the standard renditions."""

    base_serializer_class = ImageWithRenditionsSerializer
    filter_backends = [ValidatedFieldsFilter, OrderingFilter, ContentSearchFilter]
    body_fields = [*ImagesAPIViewSet.body_fields, "description", "renditions"]
    detail_only_fields = ["renditions"]


class ContentDocumentsAPIViewSet(DocumentsAPIViewSet):
    """Documents, minus those in restricted collections (where gated PDFs live)."""

    base_serializer_class = ContentDocumentSerializer
    filter_backends = [ValidatedFieldsFilter, OrderingFilter, ContentSearchFilter]


class PreviewError(Exception):
    def __init__(self, message, status_code):
        super().__init__(message)
        self.status_code = status_code


class PagePreviewAPIViewSet(ContentPagesAPIViewSet):
    """The draft a front end was sent to preview: ?content_type=cms.whitepaperpage&token=...

    Tokens are signed and time-limited (HEADLESS_PREVIEW_TOKEN_MAX_AGE); a tampered token is
    refused, an expired one is refused with a message saying so.
    """

    known_query_parameters = ContentPagesAPIViewSet.known_query_parameters.union(["content_type", "token"])

    def listing_view(self, request):
        page = self.get_object()
        self.action = "detail_view"  # serialise with the page's own model and all detail fields
        return Response(self.get_serializer(page).data)

    def detail_view(self, request, pk):
        return self.listing_view(request)

    def handle_exception(self, exc):
        if isinstance(exc, PreviewError):
            return Response({"message": str(exc)}, status=exc.status_code)
        return super().handle_exception(exc)

    def get_object(self):
        if hasattr(self, "_cached_object"):
            return self._cached_object
        content_type_label = self.request.GET.get("content_type", "")
        token = self.request.GET.get("token", "")
        if not content_type_label or not token:
            raise PreviewError("content_type and token are required", status.HTTP_400_BAD_REQUEST)
        app_label, _, model_name = content_type_label.lower().partition(".")
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
        except ContentType.DoesNotExist:
            raise PreviewError(f"content_type '{content_type_label}' does not exist", 400) from None
        model = content_type.model_class()
        if model is None or not issubclass(model, Page) or not hasattr(model, "get_preview_signer"):
            raise PreviewError(f"content_type '{content_type_label}' is not a previewable page", 400)
        try:
            model.get_preview_signer().unsign(token, max_age=settings.HEADLESS_PREVIEW_TOKEN_MAX_AGE)
        except SignatureExpired:
            raise PreviewError("preview token has expired; open the preview again", 403) from None
        except BadSignature:
            raise PreviewError("preview token is invalid", 403) from None
        preview = PagePreview.objects.filter(content_type=content_type, token=token).first()
        if preview is None:
            raise PreviewError("no preview for this token", status.HTTP_404_NOT_FOUND)
        page = preview.as_page()
        if not page.pk:
            page.pk = 0  # a page that was never saved still needs an id in the API shape
        self._cached_object = page
        return page


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", ContentPagesAPIViewSet)
api_router.register_endpoint("images", ContentImagesAPIViewSet)
api_router.register_endpoint("documents", ContentDocumentsAPIViewSet)
api_router.register_endpoint("preview", PagePreviewAPIViewSet)
