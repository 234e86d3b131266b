"""The reports' admin URLs, under /admin/reports/ (namespace `reports`). Each report adds its line."""

from django.urls import path  # noqa: F401  (each report's line uses it)

app_name = "reports"

urlpatterns = []

# Attribution (HATTR).
from .views_attribution import AttributionView  # noqa: E402

urlpatterns += [path("attribution/", AttributionView.as_view(), name="attribution")]
