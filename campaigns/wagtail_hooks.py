"""Every Wagtail hook of the campaigns app (the views and viewsets live in their own modules)."""

from wagtail import hooks

from campaigns import admin_audience, admin_sending, admin_views, results_admin, suppression_admin
from campaigns.viewsets import CampaignsMenu


@hooks.register("register_admin_viewset")
def campaigns_menu():
    """Campaigns → Campaign emails (campaigns/viewsets.py)."""
    return CampaignsMenu()


@hooks.register("register_admin_urls")
def campaign_editor_urls():
    """Preview (desktop, phone, as a person) and send a test (campaigns/admin_views.py)."""
    return admin_views.admin_urls()


@hooks.register("register_admin_urls")
def campaign_audience_urls():
    """The live audience count and the Audience page (campaigns/admin_audience.py)."""
    return admin_audience.admin_urls()


@hooks.register("register_admin_urls")
def campaign_sending_urls():
    """Send, pause, resume, cancel and the progress page (campaigns/admin_sending.py)."""
    return admin_sending.admin_urls()


@hooks.register("register_admin_urls")
def campaign_results_urls():
    """A campaign's results: opens, clicks per link, conversions, the A/B result (campaigns/results_admin.py)."""
    return results_admin.admin_urls()


@hooks.register("register_log_actions")
def suppression_import_log_action(actions):
    """Imports into the suppression list, in the audit log (campaigns/suppression_admin.py)."""
    suppression_admin.register_import_action(actions)
