"""The public links of campaign email that concern the person's wishes: unsubscribe and the preference
centre. No login: the signed token in the link is the authority (campaigns.signing, one salt per purpose).

Unsubscribe follows RFC 8058. The mailbox provider's one-click POST arrives with no cookie and no login, and
with the body `List-Unsubscribe=One-Click`: it unsubscribes at once and answers 200 with a short page, never
a redirect. It is exempt from CSRF, because the token authorises it and the provider cannot have a CSRF
cookie. A GET never unsubscribes (mail software and security scanners fetch links): it shows a page with a
single button that POSTs to the same address. The preference centre is an ordinary form (CSRF-protected;
the cookie is set when the page is shown, so it works on a first visit). Someone who unsubscribed from
everything can subscribe again there, by an explicit POST (campaigns.resubscribe).
"""

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from campaigns.models import CampaignRecipient, Suppression
from campaigns.resubscribe import recipient_resubscribe, resubscribe_terms
from campaigns.signing import recipient_from_token, recipient_token
from campaigns.suppression import (
    recipient_address,
    recipient_unsubscribe,
    suppression_reason,
    topic_choices,
    topics_choose,
)
from leads.request_facts import client_ip

ONE_CLICK = "One-Click"


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to another site
    patch_cache_control(response, private=True, no_store=True)
    return response


def _recipient(token: str, purpose: str) -> CampaignRecipient | None:
    recipient_id = recipient_from_token(token, purpose)
    if recipient_id is None:
        return None
    return CampaignRecipient.objects.select_related("campaign", "person").filter(pk=recipient_id).first()


def _bad_link(request, status=404):
    return _private(
        TemplateResponse(
            request,
            "campaigns/public/link_problem.html",
            {
                "title": "This link is not valid",
                "message": "It may have been cut short when it was copied. Please use the link exactly as it "
                "is in the email, or reply to the email and we'll take care of it.",
            },
            status=status,
        )
    )


@csrf_exempt  # RFC 8058: the one-click POST carries no cookie; the signed token authorises it
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    recipient = _recipient(token, "unsubscribe")
    if recipient is None:
        return _bad_link(request)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == ONE_CLICK
        recipient_unsubscribe(
            recipient, via="one-click" if one_click else "unsubscribe page", ip_address=client_ip(request)
        )
        done = True
    else:
        done = _still_unsubscribed(recipient)
    response = TemplateResponse(
        request,
        "campaigns/public/unsubscribe.html",
        {
            "done": done,
            "just_now": request.method == "POST",
            "preferences_url": _preferences_url(recipient),
        },
    )
    return _private(response)


@ensure_csrf_cookie  # the preference form works on a first visit, with no cookie before
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    recipient = _recipient(token, "preferences")
    if recipient is None or recipient.person is None:
        return _bad_link(request)
    person = recipient.person
    saved = ""
    if request.method == "POST":
        if "unsubscribe_all" in request.POST:
            recipient_unsubscribe(recipient, via="preference centre", ip_address=client_ip(request))
            saved = "all"
        elif "resubscribe" in request.POST:
            saved = recipient_resubscribe(
                recipient, absolute_url=request.build_absolute_uri, ip_address=client_ip(request)
            )
        else:
            wanted = request.POST.getlist("topics")
            if any(not value.isdigit() or len(value) > 18 for value in wanted):
                return _private(HttpResponse("topics: each value must be a topic's number.", status=400))
            topics_choose(person, [int(value) for value in wanted])
            saved = "topics"
    reason = suppression_reason(recipient_address(recipient))
    response = TemplateResponse(
        request,
        "campaigns/public/preferences.html",
        {
            "topics": topic_choices(person),
            "saved": saved,
            "unsubscribed": reason != "",
            # Only an unsubscribe can be undone here; a bounce or a complaint is explained instead.
            "can_resubscribe": reason == Suppression.Reason.UNSUBSCRIBED,
            "kept_reason": reason if reason and reason != Suppression.Reason.UNSUBSCRIBED else "",
            "resubscribe_terms": resubscribe_terms(person) if reason == Suppression.Reason.UNSUBSCRIBED else "",
        },
    )
    return _private(response)


def _still_unsubscribed(recipient) -> bool:
    """Whether the unsubscribe page has nothing left to do: the address is on the list as unsubscribed, or
    this recipient unsubscribed and the address is still kept out for a stronger reason. Someone who
    subscribed again in the preference centre gets the button back."""
    reason = suppression_reason(recipient_address(recipient))
    return reason == Suppression.Reason.UNSUBSCRIBED or (recipient.unsubscribed_at is not None and reason != "")


def _preferences_url(recipient) -> str:
    return reverse("campaigns:preferences", args=[recipient_token(recipient.pk, "preferences")])
