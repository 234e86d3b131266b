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
    page_obj = page_range = None
    if query:
        paginator = Paginator(search_pages(query, site=Site.find_for_request(request)), SEARCH_PAGE_SIZE)
        page_obj = paginator.get_page(request.GET.get("page"))
        page_range = paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
    response = TemplateResponse(
        request,
        "pages/search.html",
        {"form": form, "query": query, "page_obj": page_obj, "page_range": page_range},
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    return TemplateResponse(request, "robots.txt", content_type="text/plain")
