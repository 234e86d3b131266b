import json

from django import template
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def page_json_ld(context, page):
    """<script type="application/ld+json"> for the page, escaped so content cannot close the tag."""
    json_ld = getattr(page, "json_ld", None)
    data = json_ld(context["request"]) if json_ld else None
    return json_ld_script(data)


@register.simple_tag
def json_ld_script(data):
    if not data:
        return ""
    payload = json.dumps(data, ensure_ascii=False).translate(_json_script_escapes)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')


@register.simple_tag
def faq_json_ld(value):
    """FAQPage schema.org data for an FAQ block's value."""
    return json_ld_script(
        {
            "@context": "https://schema.org",
            "@type": "FAQPage",
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": item["question"],
                    "acceptedAnswer": {"@type": "Answer", "text": str(item["answer"])},
                }
                for item in value["items"]
            ],
        }
    )


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    if not url:
        return ""
    return context["request"].build_absolute_uri(url)
