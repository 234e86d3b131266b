"""Public views that are not pages: search and robots.txt. Thin: parse, select, render."""

from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail.models import Site

from cms.forms import SearchForm
from cms.selectors_search import search_pages

SEARCH_PAGE_SIZE = 10


@require_GET
def search(request):
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search_pages(query, site=Site.find_for_request(request)) if query else []
    page_obj = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page")) if query else None
    response = TemplateResponse(
        request,
        "pages/search.html",
        {"form": form, "query": query, "page_obj": page_obj},
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    return TemplateResponse(request, "robots.txt", content_type="text/plain")
