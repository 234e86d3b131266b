"""The site's URLs plus the event import admin, mounted as events/wagtail_hooks.py will mount it
(under /admin/events/import/, behind Wagtail's admin access check). Delete this file once the hook
is wired: the admin URLs then come with cms.urls and the tests can drop their urls marker."""

from django.urls import include, path
from wagtail.admin.auth import require_admin_access
from wagtail.utils.urlpatterns import decorate_urlpatterns

from cms.urls import urlpatterns as site_urlpatterns
from events.admin_imports import urlpatterns as import_urlpatterns

urlpatterns = [
    path("admin/events/import/", include(decorate_urlpatterns(list(import_urlpatterns), require_admin_access))),
    *site_urlpatterns,
]
