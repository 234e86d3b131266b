"""The public links in campaign email (no login: they arrive from a mail client), mounted at /email/."""

from django.urls import path  # noqa: F401  (the helpers add their routes here)

from campaigns import tracking

app_name = "campaigns"


def _not_built_yet(request, token):  # placeholder (helper W): replaced by the unsubscribe/preferences views
    from django.http import HttpResponseNotFound

    return HttpResponseNotFound("Not available yet.")


urlpatterns = [
    path("o/<str:token>/", tracking.open_pixel, name="open"),
    path("c/<str:token>/", tracking.click_redirect, name="click"),
    path("u/<str:token>/", _not_built_yet, name="unsubscribe"),
    path("p/<str:token>/", _not_built_yet, name="preferences"),
]
