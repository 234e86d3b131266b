"""The reports' admin URLs, under /admin/reports/ (namespace `reports`). Each report adds its line."""

from django.urls import path

app_name = "reports"

urlpatterns = []

# Content performance (editors too) and the events report (HCONT).
from .views_content import ContentReportView  # noqa: E402
from .views_events import EventsReportView  # noqa: E402

urlpatterns += [
    path("content/", ContentReportView.as_view(), name="content"),
    path("events/", EventsReportView.as_view(), name="events"),
]

# Attribution (HATTR).
from .views_attribution import AttributionView  # noqa: E402

urlpatterns += [path("attribution/", AttributionView.as_view(), name="attribution")]

# Funnel and velocity, channel quality (HFUN).
from .views_channels import ChannelQualityView  # noqa: E402
from .views_funnel import FunnelReportView  # noqa: E402

urlpatterns += [
    path("funnel/", FunnelReportView.as_view(), name="funnel"),
    path("channels/", ChannelQualityView.as_view(), name="channels"),
]

# The dashboard, the marketer's home (HDASH).
from .views_dashboard import DashboardView  # noqa: E402

urlpatterns += [path("", DashboardView.as_view(), name="dashboard")]

# The weekly digest's toggle on the dashboard (HCRM).
from .digest_views import digest_toggle  # noqa: E402

urlpatterns += [path("digest/", digest_toggle, name="digest_toggle")]
