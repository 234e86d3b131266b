"""Send a test: the campaign as the chosen (or sample) person gets it, to the marketer's own address,
through the outbox. Marked [Test] in the subject, with plain links (no tracking, no unsubscribe that
could take the marketer off the list)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.rendering import render_message, sample_person
from outbox.services import outbox_queue

from .access import require_campaign_editor
from .preview import BadParameter, masked

TEST_KIND = "campaigns.test"


def test_send(campaign, *, user, person):
    """Queue the test email in the outbox (sent once the transaction commits)."""
    rendered = render_message(campaign, person=masked(person, user))
    return outbox_queue(
        TEST_KIND,
        about=campaign,
        to=[user.email],
        subject=f"[Test] {rendered.subject}",
        text=rendered.text,
        html=rendered.html,
        from_email=settings.CAMPAIGN_FROM_EMAIL,
    )


@require_POST
def send_test(request, pk: int):
    from leads.models import Person

    require_campaign_editor(request.user)
    campaign = get_object_or_404(Campaign, pk=pk)
    back = reverse("campaigns_preview", args=[campaign.pk])
    if not request.user.email:
        messages.error(request, "Your account has no email address: add one in your account settings first.")
        return redirect(back)
    raw = request.POST.get("person", "").strip()
    person = None
    try:
        if raw:
            if not raw.isdigit() or len(raw) > 18:
                raise BadParameter("person", "not a person's number")
            person = Person.objects.select_related("company", "owner").filter(pk=int(raw)).first()
            if person is None:
                raise BadParameter("person", "nobody has this number")
    except BadParameter as error:
        messages.error(request, str(error))
        return redirect(back)
    test_send(campaign, user=request.user, person=person or sample_person())
    messages.success(request, f"A test is on its way to {request.user.email}.")
    return redirect(back + (f"?person={person.pk}" if person else ""))
