"""People with their journeys built directly (the rollup's rows as the funnel and channel reports read
them), users by role, and readers of a report page's numbers and of the sales list's count."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from html import unescape

from django.utils import timezone

from leads.models import SalesRep
from reports.channels import channel_of
from reports.models import PersonJourney
from sales.roles import roles_ensure
from tests.factories.leads import PersonFactory, UserFactory

STAGE_COLUMNS = ("mql_at", "sql_at", "opportunity_at", "customer_at")


def at(day, hour=12):
    """An aware datetime on `day` (a date) at `hour`, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def role_user(role, *, team=None, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(roles_ensure()[role])
    if team:
        SalesRep.objects.create(user=user, team=team)
    return user


def person_with_journey(
    *,
    created,
    source="",
    medium="",
    referrer="",
    campaign="",
    owner=None,
    team="",
    reached=(),
    excluded=False,
    pipeline=0,
    won=0,
    recycled=None,
    returned=None,
    industry="",
    country="",
    form=("", ""),
):
    """A person and their journey: created at `created`, reached[i] the moment of STAGE_COLUMNS[i]."""
    person = PersonFactory(owner=owner, is_test=excluded)
    moments = dict(zip(STAGE_COLUMNS, reached, strict=False))
    journey = PersonJourney.objects.create(
        person=person,
        created_at=created,
        channel=channel_of(source=source, medium=medium, referrer_domain=referrer),
        source=source,
        medium=medium,
        campaign=campaign,
        referrer_domain=referrer,
        first_origin_type=form[0],
        first_origin_id=form[1],
        industry=industry,
        country=country,
        owner=owner,
        team=team,
        is_excluded=excluded,
        pipeline_amount=Decimal(pipeline),
        won_amount=Decimal(won),
        recycled_at=recycled,
        returned_at=returned,
        **moments,
    )
    return person, journey


def days_later(moment, days):
    return moment + timedelta(days=days)


# --- Reading pages --------------------------------------------------------------------------------------
LINK = re.compile(r'<a href="(/admin/leads/person/\?[^"]+)">([\d,]+)</a>')


def linked_counts(html: str) -> list[tuple[str, int]]:
    """Every linked number of a report page: (the sales list URL, the number shown)."""
    return [(unescape(url), int(number.replace(",", ""))) for url, number in LINK.findall(html)]


def list_count(client, url: str) -> int:
    """The count the sales people list shows for `url` (0 when it lists nobody)."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert "errorlist" not in html, f"the list refused a filter of {url}"
    match = re.search(r"([\d,]+) (?:person matches|people match)", html)
    if match:
        return int(match.group(1).replace(",", ""))
    assert not re.search(r'id="people_\d+_title"', html), f"rows listed without a count: {url}"
    return 0
