"""The public links in campaign email (no login: they arrive from a mail client), mounted at /email/."""

from django.urls import include, path

from campaigns import bounces, tracking, unsubscribe

app_name = "campaigns"


urlpatterns = [
    path("o/<str:token>/", tracking.open_pixel, name="open"),
    path("c/<str:token>/", tracking.click_redirect, name="click"),
    path("u/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("p/<str:token>/", unsubscribe.preferences, name="preferences"),
    # The email providers' tracking webhooks (bounces, complaints), Anymail's views behind the webhook secret.
    path("anymail/", include((bounces.webhook_urlpatterns(), "anymail"))),
]
