"""Template filters of the sales workspace: `{{ person.interest_score|points }}` -> "12"."""

from django import template

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
