"""The product's own JSON API (django-ninja), versioned: /api/v1/.

Forms, personalisation and events add their routers here as they arrive. The OpenAPI schema is
served at /api/v1/openapi.json and browsable docs at /api/v1/docs.
"""

from django.db import connection
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.responses import Status
from wagtail.models import Site

from cms.models import SiteSettings
from events.api import router as events_router
from forms.api.forms import router as forms_router
from forms.api.intake import router as intake_router
from leads.crm_feedback_api import router as crm_feedback_router
from personalization.api import router as personalization_router
from personalization.track_api import router as track_router

api = NinjaAPI(
    title="Signalpage API",
    version="1.0.0",
    description="Forms, personalisation and events for headless front ends. Content pages, "
    "images and documents are served by the content API at /api/v2/.",
    urls_namespace="api-v1",
)


# Ninja's own answers in the shape the operations document (core.edge.ErrorsOut), not its default
# {"detail": ...}: a 404 from get_object_or_404, a 400 for a body that is not JSON, and a 422 for a
# parameter of the wrong type or out of range.
@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"errors": {"__all__": ["Not found."]}}, status=404)


@api.exception_handler(HttpError)
def refused(request, exc):
    return api.create_response(request, {"errors": {"__all__": [str(exc)]}}, status=exc.status_code)


@api.exception_handler(ValidationError)
def invalid_parameters(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # loc is (source, name, ...): ("query", "limit"), ("path", "event_id"), ("body", "body", "variant_key")
        parts = [str(part) for part in error.get("loc", ())[1:]]
        if len(parts) > 1 and error.get("loc", ("",))[0] == "body":
            parts = parts[1:]  # the view's argument name says nothing to a client
        errors.setdefault(".".join(parts) or "__all__", []).append(error.get("msg", "Invalid value"))
    return api.create_response(request, {"errors": errors}, status=422)


class ErrorOut(Schema):
    detail: str


class HealthOut(Schema):
    status: str
    database: str


class SiteOut(Schema):
    name: str
    organisation_name: str
    tagline: str
    root_url: str
    root_page_id: int
    content_api: str


@api.get("/health", response={200: HealthOut, 503: HealthOut}, tags=["meta"])
def health(request):
    """Liveness and database reachability, for load balancers and uptime checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not healthy"; details stay in the logs
        return Status(503, {"status": "error", "database": "unreachable"})
    return Status(200, {"status": "ok", "database": connection.vendor})


@api.get("/site", response={200: SiteOut, 404: ErrorOut}, tags=["meta"])
def site_info(request):
    """The site serving this host: name, root URL and where its content lives."""
    site = Site.find_for_request(request)
    if site is None:
        return Status(404, {"detail": "No site is configured for this host."})
    site_settings = SiteSettings.for_site(site)
    return Status(
        200,
        {
            "name": site.site_name or site.hostname,
            "organisation_name": site_settings.organisation_name,
            "tagline": site_settings.tagline,
            "root_url": site.root_url,
            "root_page_id": site.root_page_id,
            "content_api": request.build_absolute_uri("/api/v2/"),
        },
    )


api.add_router("/forms", forms_router)
api.add_router("/intake", intake_router)
api.add_router("/personalization", personalization_router)
api.add_router("/events", events_router)
api.add_router("/track", track_router)
api.add_router("/crm", crm_feedback_router)
