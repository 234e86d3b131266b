"""Admin: segments (with a live audience count); the variant statistics' old address (they are in
Reports → Content performance now)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    Panel,
)
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import views
from .models import Segment
from .selectors import segment_audience


class AudiencePanel(Panel):
    """How many known people the rules match, and who: refreshed as the marketer edits the rules."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "personalization/audience_panel.html"

        class Media:
            js = ["core/live_count.js", "personalization/audience_panel.js"]  # the shared live count first
            css = {"all": ["personalization/audience_panel.css"]}

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.audience_url = reverse("personalization_audience")
            if self.form is not None and self.form.is_bound:
                # The form came back from saving (a mistake somewhere): the count of the rules as posted,
                # which is how it is shown without JavaScript.
                rules, match = views.posted_rules(self.form.data), self.form.data.get("match", "all")
            else:
                rules, match = [], getattr(self.instance, "match", "all")
                if self.instance is not None and self.instance.pk:
                    rules = [
                        {
                            "fact": r.fact,
                            "operator": r.operator,
                            "value": r.value,
                            "negate": r.negate,
                            "times": r.times,
                            "days": r.days,
                        }
                        for r in self.instance.rules.all()
                    ]
            self.initial_rule_count = len(rules)
            self.initial = segment_audience(rules, match)
            self.initial_sample = views.audience_sample(self.initial.sample, self.request.user) if self.request else []


class SegmentViewSet(SnippetViewSet):
    model = Segment
    icon = "group"
    menu_label = "Segments"
    menu_order = 250
    add_to_admin_menu = True
    list_display = ["name", "priority", "match", "is_active", "updated_at"]
    list_filter = ["is_active", "match"]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("description"),
            FieldRowPanel([FieldPanel("priority"), FieldPanel("match"), FieldPanel("is_active")]),
            MultiFieldPanel([InlinePanel("rules", label="Rule", min_num=1)], heading="Rules"),
            MultiFieldPanel(
                [HelpPanel(template="personalization/facts_help.html")],
                heading="What each fact takes",
                classname="collapsed",
            ),
            MultiFieldPanel([AudiencePanel()], heading="Audience (known people, live)"),
        ]
    )


register_snippet(SegmentViewSet)


@hooks.register("register_admin_urls")
def personalisation_admin_urls():
    return [
        path("personalisation/audience/", views.audience, name="personalization_audience"),
        # Moved to Reports → Content performance: the old address redirects there.
        path("personalisation/statistics/", views.statistics, name="personalization_statistics"),
    ]
