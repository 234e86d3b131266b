"""The telemarketing queue's part of the person 360 view: `{% person_calls person %}` lists the phone
calls in the stage history section (a call that moved the stage is also a line of the history above it;
one that did not, no answer or reached, still shows here: the history tells every outcome)."""

from django import template

from sales.telemarketing import previous_calls

register = template.Library()
CALLS_SHOWN = 20


@register.inclusion_tag("sales/telemarketing/_profile_calls.html")
def person_calls(person):
    """The person's calls, newest first (one query; at most CALLS_SHOWN)."""
    return {"calls": previous_calls([person.pk], per_person=CALLS_SHOWN).get(person.pk, [])}
