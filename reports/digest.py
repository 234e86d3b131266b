"""The weekly digest (issue 18 item 10): the dashboard's numbers by email, every Monday morning.

- Who: a user who may see the reports and pressed "Email me every Monday" on the dashboard
  (reports.digest_views); one DigestSubscription each. The numbers are the dashboard's for that user
  (reports.dashboard.dashboard_figures), so a sales rep's digest counts their own people only.
- What: last week, Monday to Sunday in the site's time zone, compared with the week before: the tiles,
  top channels, top content and upcoming events. Aggregates only: no person's address or phone.
- When: `digest_sweep` runs with the workers' sweeps (WORKER_SWEEPS). From Monday 07:00 site time each
  subscription whose week has not been sent is claimed with one conditional update (last_sent_for moves
  to this Monday) and its email written to the outbox in the same transaction, keyed by the week: a
  sweep that runs twice, or two workers at once, send it once. A worker that was down on Monday morning
  sends it at the first sweep after.
- How: the message is built when the week is claimed and stored on the outbox row (kind
  "reports.digest"): what was sent is what the numbers were that morning, and the outbox retries it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from outbox import kinds
from outbox.services import outbox_queue

from . import access
from .dashboard import dashboard_figures
from .models import DigestSubscription
from .periods import Period

logger = logging.getLogger(__name__)

KIND = "reports.digest"
SEND_AT = time(7, 0)  # Monday, site time
BATCH = 200  # subscriptions per sweep; the next sweep (a minute later) takes the rest


def register_kind() -> None:
    """The digest in the outbox's registry (ReportsConfig.ready): its label in the Outbox. Its rows
    carry their message, so it needs no builder."""
    kinds.register(KIND, "Reports: weekly digest")


# --- weeks -----------------------------------------------------------------------------------------


def due_week(now: datetime | None = None) -> date:
    """The Monday whose digest is due at `now`: this week's from Monday 07:00 site time, else last week's."""
    local = timezone.localtime(now or timezone.now())
    monday = local.date() - timedelta(days=local.weekday())
    if local.time() < SEND_AT and local.weekday() == 0:
        monday -= timedelta(days=7)
    return monday


def week_period(monday: date) -> Period:
    """The week a digest sent on `monday` covers: the seven days before it (Monday to Sunday)."""
    return Period(monday - timedelta(days=7), monday - timedelta(days=1), "custom")


# --- subscribing -----------------------------------------------------------------------------------


def digest_subscribe(user, now: datetime | None = None) -> DigestSubscription:
    """Subscribe `user` (again: nothing changes). The first digest is the next one due after now, not
    the week already sent to everybody else this morning."""
    subscription, _ = DigestSubscription.objects.get_or_create(user=user, defaults={"last_sent_for": due_week(now)})
    return subscription


def digest_unsubscribe(user) -> bool:
    """Unsubscribe `user`; whether they were subscribed. A digest already in the outbox still goes out."""
    deleted, _ = DigestSubscription.objects.filter(user=user).delete()
    return bool(deleted)


def is_subscribed(user) -> bool:
    return bool(user and user.is_authenticated and DigestSubscription.objects.filter(user=user).exists())


# --- sending ---------------------------------------------------------------------------------------


def _why_not(user) -> str:
    """Why `user` gets no digest this week ("" when they do)."""
    if not user.is_active:
        return "the account is inactive"
    if not (user.email or "").strip():
        return "the account has no email address"
    if not access.can_see_reports(user):
        return "the account may no longer see the reports"
    return ""


def _not_sent_for(week: date) -> Q:
    return Q(last_sent_for__isnull=True) | Q(last_sent_for__lt=week)


def digest_sweep(now: datetime | None = None) -> dict[str, int]:
    """Send the week's digest to every subscriber who has not had it (WORKER_SWEEPS). Safe to run at
    any time and any number of times at once: each subscription's week is claimed once."""
    now = now or timezone.now()
    week = due_week(now)
    counts = {"queued": 0, "skipped": 0, "failed": 0}
    due = DigestSubscription.objects.filter(_not_sent_for(week)).select_related("user").order_by("pk")[:BATCH]
    for subscription in due:
        try:
            outcome = _digest_send(subscription, week, now)
        except Exception:  # one subscriber's failure is retried next sweep; the others still get theirs
            logger.exception("Weekly digest for user %s failed", subscription.user_id)
            outcome = "failed"
        if outcome in counts:
            counts[outcome] += 1
    return counts


@transaction.atomic
def _digest_send(subscription: DigestSubscription, week: date, now: datetime) -> str:
    """Claim the subscription's week and write its email to the outbox, together or not at all."""
    claimed = (
        DigestSubscription.objects.filter(pk=subscription.pk).filter(_not_sent_for(week)).update(last_sent_for=week)
    )
    if not claimed:
        return "taken"  # another sweep took it a moment ago
    user = subscription.user
    reason = _why_not(user)
    if reason:
        logger.info("No weekly digest for user %s: %s", user.pk, reason)
        return "skipped"
    message = digest_message(user, week)
    try:
        with transaction.atomic():  # a savepoint: the week's email written before (by hand, a reset) stays the one
            outbox_queue(
                KIND,
                about=subscription,
                key=f"week:{week.isoformat()}",
                to=[user.email],
                subject=message["subject"],
                text=message["text"],
                html=message["html"],
            )
    except IntegrityError:
        return "taken"
    return "queued"


# --- the email -------------------------------------------------------------------------------------


def _week_label(period: Period) -> str:
    start, end = period.start, period.end
    if start.year != end.year:
        return f"{start:%-d %b %Y} – {end:%-d %b %Y}"
    if start.month != end.month:
        return f"{start:%-d %b} – {end:%-d %b %Y}"
    return f"{start:%-d}–{end:%-d %b %Y}"


def _amount(value, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _change(change) -> str:
    """A tile's change against the week before, as the dashboard shows it (its own words: an email is
    not the screen, and the screen's formatting may change with its design)."""
    if change is None:
        return "new"
    if abs(change) < 0.0005:
        return "±0%"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {abs(change) * 100:.0f}%" if abs(change) < 100 else f"{arrow} {abs(change):.0f}×"


def _tile_rows(figures: dict) -> list[dict]:
    currency = figures["currency"]
    rows = []
    for tile in figures["tiles"]:
        money = tile["kind"] == "money"
        rows.append(
            {
                "label": tile["label"],
                "value": _amount(tile["value"], currency) if money else f"{tile['value']:,}",
                "previous": _amount(tile["previous"], currency) if money else f"{tile['previous']:,}",
                "change": _change(tile["change"]),
            }
        )
    return rows


def digest_context(user, week: date) -> dict:
    """What the digest shows `user` for the week sent on `week` (a Monday): the dashboard's figures."""
    period = week_period(week)
    figures = dashboard_figures(user, period)
    dashboard = reverse("reports:dashboard")
    query = f"?from={period.start.isoformat()}&to={period.end.isoformat()}"
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return {
        "name": user.first_name or user.get_username(),
        "week": _week_label(period),
        "previous_week": _week_label(period.previous()),
        "tiles": _tile_rows(figures),
        "shows_traffic": figures["shows_traffic"],
        "channels": [{**row, "channel": row["channel"] or "(unknown)"} for row in figures["channels"]],
        "content": figures["content"],
        "events": [
            {**row, "starts": f"{timezone.localtime(row['starts_at']):%a %-d %b %H:%M}"} for row in figures["events"]
        ],
        "dashboard_url": f"{base}{dashboard}{query}",
        "subscription_url": f"{base}{dashboard}",
    }


def digest_message(user, week: date) -> dict:
    """The digest's subject, text and HTML for `user` and the week sent on `week`."""
    context = digest_context(user, week)
    return {
        "subject": f"Your week in numbers: {context['week']}",
        "text": render_to_string("reports/digest_email.txt", context),
        "html": render_to_string("reports/digest_email.html", context),
    }
