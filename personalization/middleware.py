"""Sets request.personalization (resolved on first use) and, as the response leaves, writes what
changed: the visitor's state to the cache, the row once per visit, the cookie for a new visitor."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import SimpleLazyObject

from core.redirects import local_path, same_site_url
from leads.request_facts import ATTRIBUTION_COOKIE, UTM_FIELDS, attribution_remember, request_attribution

from .services import TRACKED_LINK_PARAM, visitor_context

SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/documents/", "/favicon.ico")


class VisitorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(SKIP_PREFIXES):
            return self.get_response(request)
        request.personalization = SimpleLazyObject(lambda: visitor_context(request))
        if TRACKED_LINK_PARAM in request.GET and request.method == "GET" and not request.path.startswith("/api/"):
            response = self._strip_tracking_token(request)
        else:
            response = self.get_response(request)
        context = getattr(request, "_personalization", None)
        if context is not None:
            self._finish(request, response, context)
        self._remember_campaign(request, response)
        return response

    @staticmethod
    def _remember_campaign(request, response):
        """A visitor who lands from a campaign link (UTM parameters) on any page keeps that first touch in
        the attribution cookie, so the form they fill in three pages later still says where they came
        from (the forms app only remembered it on pages that host a form)."""
        if (
            request.method != "GET"
            or request.path.startswith("/api/")
            or response.status_code != 200
            or ATTRIBUTION_COOKIE in response.cookies
            or not any(request.GET.get(name) for name in UTM_FIELDS)
        ):
            return
        attribution_remember(response, request, request_attribution(request))
        patch_cache_control(response, private=True)  # a response that sets a cookie is nobody else's

    @staticmethod
    def _strip_tracking_token(request):
        """A tracked link identifies the browser, then sends it to the same URL without the token, so the
        token is not left in the address bar, in bookmarks or in links copied from the page."""
        visitor_context(request)  # identifies from the token
        query = request.GET.copy()
        del query[TRACKED_LINK_PARAM]
        # The request path is the visitor's to choose: `//evil.example/` must not become a redirect there.
        target = local_path(request.path) + (f"?{query.urlencode()}" if query else "")
        response = HttpResponseRedirect(same_site_url(request, target))
        patch_cache_control(response, private=True, no_store=True)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def _finish(self, request, response, context):
        context.finish()
        if context.shown_variants or context.personalised:
            # What was shown depends on who asked: keep it out of shared caches, per visitor in browsers.
            patch_vary_headers(response, ("Cookie", "X-Visitor-Id"))
            patch_cache_control(response, private=True, no_cache=True)
        if not context.is_new:
            return
        name = settings.VISITOR_COOKIE_NAME
        if name not in response.cookies:  # the forms app may have issued one itself (e.g. "Not you?")
            response.set_cookie(
                name,
                context.visitor_id,
                max_age=settings.VISITOR_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
            )
            # A response that sets a visitor's cookie must never be stored by a shared cache.
            patch_cache_control(response, private=True)
        if request.path.startswith("/api/"):
            response["X-Visitor-Id"] = context.visitor_id
