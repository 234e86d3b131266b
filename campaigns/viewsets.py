"""The campaign editor in the Wagtail admin (Campaigns → Campaign emails), grouped under the Campaigns
menu with the other campaign screens (wagtail_hooks registers the group)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from campaigns.admin_audience import CampaignAudiencePanel
from campaigns.models import Campaign
from campaigns.suppression_admin import EmailTopicViewSet, SuppressionViewSet

AUDIENCE_FIELDS = ["kind", "exclude", "segment", "saved_filter", "tag", "event", "whitepaper"]


def campaign_buttons(campaign, user, *, priority: int = 100) -> list[Button]:
    """Where a marketer goes from a campaign: its preview and audience while it is written, Send while
    a draft (for those who may send), its progress and results once it went out."""
    draft = campaign.status == Campaign.Status.DRAFT
    may_send = user.has_perm("campaigns.send_campaign")
    wanted = [("Preview", "campaigns_preview", "view"), ("Audience", "campaigns_audience", "group")]
    if draft and may_send:
        wanted.append(("Send…", "campaigns_send", "mail"))
    if not draft:
        wanted += [("Progress", "campaigns_progress", "time"), ("Results", "campaigns_results", "table")]
    return [
        Button(label, url=reverse(name, args=[campaign.pk]), icon_name=icon, priority=priority + n)
        for n, (label, name, icon) in enumerate(wanted)
    ]


class CampaignEditView(generic.EditView):
    EDITABLE = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)

    def dispatch(self, request, *args, **kwargs):
        # What went out stays as it went out: its links are numbered and its results read against them.
        campaign = Campaign.objects.filter(pk=kwargs.get("pk")).only("status").first()
        if campaign is not None and campaign.status not in self.EDITABLE:
            messages.warning(
                request, f"“{campaign}” has gone out and can't be changed any more: copy it to send a new version."
            )
            return redirect("campaigns_progress", campaign.pk)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def header_more_buttons(self):
        return [*campaign_buttons(self.object, self.request.user, priority=1), *super().header_more_buttons]


class CampaignIndexView(generic.IndexView):
    def get_list_more_buttons(self, instance):
        return [*campaign_buttons(instance, self.request.user, priority=40), *super().get_list_more_buttons(instance)]


class CampaignViewSet(ModelViewSet):
    model = Campaign
    edit_view_class = CampaignEditView
    index_view_class = CampaignIndexView
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
        CampaignAudiencePanel(),
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
