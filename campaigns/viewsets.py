"""The campaign editor in the Wagtail admin (Campaigns → Campaign emails), grouped under the Campaigns
menu with the other campaign screens (wagtail_hooks registers the group)."""

from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import Campaign
from campaigns.suppression_admin import EmailTopicViewSet, SuppressionViewSet

AUDIENCE_FIELDS = ["kind", "exclude", "segment", "saved_filter", "tag", "event", "whitepaper"]


class CampaignViewSet(ModelViewSet):
    model = Campaign
    icon = "mail"
    menu_label = "Campaign emails"
    url_prefix = "campaigns"
    url_namespace = "campaigns_campaign"
    add_to_admin_menu = False
    list_display = [
        "name",
        Column("status", label="Status", accessor="get_status_display"),
        "subject",
        Column("recipients_total", label="Recipients"),
        DateColumn("finished_at", label="Sent"),
    ]
    list_filter = ["status"]
    search_fields = ["name", "subject"]
    search_backend_name = None  # database lookups: no search index to keep up to date
    panels = [
        FieldPanel("name"),
        FieldPanel("topic"),
        FieldPanel("subject"),
        InlinePanel("subject_variants", heading="A/B subject lines", label="Subject line"),
        FieldPanel("preheader"),
        FieldRowPanel([FieldPanel("from_name"), FieldPanel("reply_to")], heading="Sender"),
        FieldPanel("body"),
        InlinePanel(
            "audience",
            heading="Audience",
            label="Audience part",
            panels=[FieldPanel(name) for name in AUDIENCE_FIELDS],
        ),
        MultiFieldPanel(
            [FieldPanel("utm_source"), FieldPanel("utm_medium"), FieldPanel("utm_campaign")],
            heading="Links to our site (UTM)",
        ),
        FieldPanel("content_topics"),
    ]


class CampaignsMenu(ViewSetGroup):
    """The Campaigns menu: the campaign screens, each its own viewset (add yours to `items`)."""

    menu_label = "Campaigns"
    menu_icon = "mail"
    menu_order = 290
    items = (CampaignViewSet, EmailTopicViewSet, SuppressionViewSet)
