"""The weekly digest's toggle on the dashboard: POST subscribe=on|off (URL name reports:digest_toggle).

Only users who may see the reports subscribe; an address is needed to send to. The answer is a redirect
back to the dashboard with a message; a wrong value is a 400 naming the field.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import access
from .digest import digest_subscribe, digest_unsubscribe
from .periods import ReportInputError

CHOICES = ("on", "off")


@require_POST
def digest_toggle(request):
    user = request.user
    if not access.can_see_reports(user):
        raise PermissionDenied
    wanted = request.POST.get("subscribe", "")
    if wanted not in CHOICES:
        error = ReportInputError("subscribe", 'send "on" to get the weekly email, "off" to stop it.')
        return render(
            request,
            "reports/input_error.html",
            {"title": "Weekly email", "header_title": "Weekly email", "error": error},
            status=400,
        )
    if wanted == "off":
        if digest_unsubscribe(user):
            messages.success(request, "You will get no more weekly emails.")
    elif not (user.email or "").strip():
        messages.error(request, "Your account has no email address: add one in your account settings first.")
    else:
        digest_subscribe(user)
        messages.success(
            request, f"Every Monday morning last week's numbers go to {user.email}, compared with the week before."
        )
    return redirect(reverse("reports:dashboard"))
