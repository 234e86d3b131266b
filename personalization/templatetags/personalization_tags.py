from django import template

from personalization.rules import FACTS, OPERATOR_CHOICES

register = template.Library()
OPERATOR_LABELS = dict(OPERATOR_CHOICES)


@register.simple_tag
def facts_table():
    """Every fact a segment rule can test, with its operators and an example value (the editor's help)."""
    return [
        {
            "label": fact.label,
            "operators": ", ".join(OPERATOR_LABELS[op] for op in fact.operators),
            "help": fact.help,
            # Behaviour rules take "at least (times)" and "in the last (days)"; the others ignore them.
            "counted": fact.kind == "behaviour",
        }
        for fact in FACTS
    ]
