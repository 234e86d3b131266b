"""Which Content-Security-Policy and Permissions-Policy a response carries.

django-csp and django-permissions-policy each send one policy from the settings. We need two CSPs
and one exception to the Permissions-Policy, chosen by where the request goes:

- the public site (everything outside the Wagtail admin) gets CONTENT_SECURITY_POLICY: our own
  files only, scripts only from our origin or with the response's nonce;
- the Wagtail admin gets CONTENT_SECURITY_POLICY_ADMIN: Wagtail's own widgets and panels print
  inline <script> and style="" without a nonce (wagtail/wagtail#1288), so the admin cannot do
  without 'unsafe-inline' (but runs no inline handler); the rest is the public policy, plus blob:
  images and the headless front end's preview frames;
- PERMISSIONS_POLICY_VIEWS widens the Permissions-Policy for a few admin views by URL name (the
  door's check-in screen opens the camera).

The choice is by path (and URL name) rather than by decorating views: the admin's views are
Wagtail's and the check-in view is the events app's; a policy decided here covers every one of
them, including views added later. A view's own django-csp decorator (csp, csp_update,
csp_replace, csp_exempt) still wins over the path's choice.

The page editor's preview renders the page for a stand-in request with the page's own path, which
Wagtail runs through the middleware too: the preview gets the public policy, as the live page will
(django-csp never replaces a header already set, so the admin's outer response keeps it).
"""

from functools import lru_cache

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django_permissions_policy import PermissionsPolicyMiddleware


@lru_cache(maxsize=1)
def admin_prefix() -> str:
    return reverse("wagtailadmin_home")  # "/admin/", wherever cms/urls.py mounts the admin


def is_admin_path(path: str) -> bool:
    return path.startswith(admin_prefix())


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's policy for paths under the Wagtail admin."""

    def process_request(self, request):
        super().process_request(request)
        if not is_admin_path(request.path):
            # Every public response carries a fresh nonce, whether or not the page used it: a page
            # answered from the output cache renders no template, and its policy must not differ.
            # (So no page that the output cache keeps may hold an inline <script>: its nonce would
            # be the one of the response that filled the cache; see tests/security/test_headers.py.)
            str(request.csp_nonce)
        # The admin's policy never has a nonce: with one, browsers ignore its 'unsafe-inline'.

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and is_admin_path(request.path):
            parts.config = dict(settings.CONTENT_SECURITY_POLICY_ADMIN["DIRECTIVES"])
            parts.nonce = None
        return parts


class PermissionsPolicyByViewMiddleware(MiddlewareMixin):
    """Widens PERMISSIONS_POLICY for the views named in PERMISSIONS_POLICY_VIEWS.

    Sits just inside django_permissions_policy's middleware in MIDDLEWARE and hands it the override
    its own permissions_policy_override decorator would set on the view's response."""

    def process_response(self, request, response):
        match = getattr(request, "resolver_match", None)
        update = settings.PERMISSIONS_POLICY_VIEWS.get(match.view_name) if match else None
        if update and not hasattr(response, "_permissions_policy_override"):
            response._permissions_policy_override = PermissionsPolicyMiddleware.compute_header_value(
                {**settings.PERMISSIONS_POLICY, **update}, name="PERMISSIONS_POLICY_VIEWS"
            )
        return response
