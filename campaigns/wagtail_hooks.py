"""Every Wagtail hook of the campaigns app (the views and viewsets live in their own modules)."""

from wagtail import hooks

from campaigns import results_admin


@hooks.register("register_admin_urls")
def campaign_results_urls():
    """A campaign's results: opens, clicks per link, conversions, the A/B result (campaigns/results_admin.py)."""
    return results_admin.admin_urls()
