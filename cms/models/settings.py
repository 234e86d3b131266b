"""Per-site settings: navigation, footer, social links, organisation facts, default SEO image."""

from django.db import models
from wagtail.admin.panels import FieldPanel, ObjectList, TabbedInterface
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField

from cms.blocks import FooterColumnBlock, LinkBlock, SocialLinkBlock


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    organisation_name = models.CharField(max_length=120, default="Northwind Signal")
    tagline = models.CharField(max_length=200, blank=True)
    logo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    default_seo_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shared on social networks for pages that have no image of their own",
    )
    primary_navigation = StreamField([("link", LinkBlock())], blank=True)
    header_call_to_action = StreamField([("link", LinkBlock())], blank=True, max_num=1)
    footer_columns = StreamField([("column", FooterColumnBlock())], blank=True)
    footer_text = models.TextField(blank=True)
    social_links = StreamField([("social", SocialLinkBlock())], blank=True)
    contact_email = models.EmailField(blank=True)

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("organisation_name"),
                    FieldPanel("tagline"),
                    FieldPanel("logo"),
                    FieldPanel("default_seo_image"),
                    FieldPanel("contact_email"),
                ],
                heading="Organisation",
            ),
            ObjectList(
                [FieldPanel("primary_navigation"), FieldPanel("header_call_to_action")],
                heading="Header",
            ),
            ObjectList(
                [FieldPanel("footer_columns"), FieldPanel("footer_text"), FieldPanel("social_links")],
                heading="Footer",
            ),
        ]
    )

    class Meta:
        verbose_name = "site settings"
