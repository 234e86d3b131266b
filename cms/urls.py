from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms import page_cache, views
from cms.api.content import api_router
from cms.api.v1 import api as api_v1
from forms.views import consent_confirmation, gated_download
from personalization.views import variant_click
from sales.audit import site_history_urls

urlpatterns = [
    # Before Wagtail's admin: its Site history, without the sales audit trail for non-auditors.
    *site_history_urls(),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", views.search, name="search"),
    # Gated documents: signed, expiring, person-bound links handed out by forms.
    path("downloads/<str:token>/", gated_download, name="gated_download"),
    # Double opt-in: the signed link in the consent confirmation email (GET asks, POST confirms).
    path("consent/<str:token>/", consent_confirmation, name="consent_confirm"),
    # CTA clicks in personalised blocks (sendBeacon from js/personalisation.js, or a headless front end).
    path("personalisation/click/", variant_click, name="personalisation_click"),
    # Registrants' links (tickets, cancellation, calendar file, webinar stream); landing pages are pages.
    path("e/", include("events.urls")),
    # Campaign email's links: open pixel, click redirect, unsubscribe, preference centre, double opt-in,
    # and the email providers' tracking webhooks (bounces, complaints) through Anymail.
    path("email/", include("campaigns.urls")),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("api/v2/", api_router.urls),
    path("api/v1/", api_v1.urls),
]

if settings.DEBUG:
    from django.views.static import serve as serve_media_file

    # Uploaded images and renditions, but never documents/: a document goes through Wagtail's view
    # (/documents/<id>/<file>), which keeps private collections private (a gated whitepaper's PDF).
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?!documents/)(?P<path>.*)$",
            serve_media_file,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
    urlpatterns += [
        path("404/", TemplateView.as_view(template_name="404.html")),
        path("500/", TemplateView.as_view(template_name="500.html")),
    ]

# Wagtail's page serving catches everything else, so it goes last; page URLs go through the page
# output cache first (cms.page_cache.serve), which hands everything it cannot answer to Wagtail.
urlpatterns += [
    # Wagtail's own _util/ views (password form, front-end login) are not pages: they go to Wagtail.
    re_path(r"^(?!_util/)((?:[\w\-]+/)*)$", page_cache.serve, name="page_serve_cached"),
    path("", include(wagtail_urls)),
]
