"""The public links in campaign email (no login: they arrive from a mail client), mounted at /email/."""

from django.urls import path  # noqa: F401  (the helpers add their routes here)

app_name = "campaigns"

urlpatterns = []
