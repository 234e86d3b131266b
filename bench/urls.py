"""The site's URLs plus /bench/floor/, the cheapest possible Django response (the "floor")."""

from django.http import HttpResponse
from django.urls import path

from cms.urls import urlpatterns as cms_urlpatterns


def floor(request):
    """Goes through the whole middleware stack but touches no database, template or Wagtail."""
    return HttpResponse("ok")


# cms.urls ends with Wagtail's catch-all page serving, so ours must come first.
urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *cms_urlpatterns]
