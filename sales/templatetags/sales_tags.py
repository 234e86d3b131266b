"""Template filters of the sales workspace: `{{ person.interest_score|points }}` -> "12"."""

from django import template
from django.urls import reverse
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.admin.widgets.button import Button, ButtonWithDropdown, ListingButton

from leads.industries import industry_name
from sales.scores import whole_points

register = template.Library()


@register.filter
def points(value):
    """A score as whole points (sales.scores); "-" for none."""
    try:
        number = whole_points(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return value
    return "-" if number is None else number


@register.filter
def industry(value):
    """A company's industry by name ("banking" -> "Banking & Financial Services"; leads.industries)."""
    return industry_name(value)


@register.inclusion_tag("wagtailadmin/shared/buttons.html", takes_context=True)
def sales_bulk_action_choices(context, app_label, model_name):
    """Wagtail's bulk-action buttons (its `bulk_action_choices`), only those the user may use: a marketer
    tags people but does not accept or reject them. An action's `user_may(user)` decides."""
    user = context["request"].user
    actions = sorted(
        (
            action
            for action in bulk_action_registry.get_bulk_actions_for_model(app_label, model_name)
            if not hasattr(action, "user_may") or action.user_may(user)
        ),
        key=lambda action: action.action_priority,
    )

    def url(action):
        return reverse("wagtail_bulk_action", args=[app_label, model_name, action.action_type])

    # As Wagtail's: no `next` parameter, the listing's script adds it.
    buttons = [
        ListingButton(
            action.display_name,
            url(action),
            attrs={"aria-label": action.aria_label, "data-bulk-action-button": ""},
            priority=action.action_priority,
            classname=" ".join(action.classes | {"bulk-action-btn"}),
        )
        for action in actions[:4]
    ]
    if actions[4:]:
        more = [
            Button(
                label=action.display_name,
                url=url(action),
                attrs={"aria-label": action.aria_label, "data-bulk-action-button": ""},
                priority=action.action_priority,
            )
            for action in actions[4:]
        ]
        buttons.append(
            ButtonWithDropdown(
                label="More",
                attrs={"title": "More bulk actions"},
                classname="button button-secondary button-small",
                buttons=more,
            )
        )
    return {"buttons": buttons}
