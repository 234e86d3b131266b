"""ContentDay computed again for a batch of people (PostgreSQL), and its counts kept by triggers.

The dashboard's top content (reports.dashboard) counted a year's downloads and form fills straight from
the interactions: a million rows grouped with their distinct people, 0.9-1.2 s for a year at a million people. The
people round (reports.rollups) now writes each marked person's rows here again: one row per person,
object and site's day, with the day's downloads and form fills, the object's label, the person's owner
(a rep's scope) and the person's previous day with that object. People who are test or competitor
people have no rows; people who no longer exist lose theirs. Triggers on the table (migration 0012) keep
ContentCount, the same pre-counted per (day, object, owner, previous day), so a period's top content is
a sum over a few counts per object and day, and its distinct people are the rows whose previous day
falls before the period.

Why per person: every change that moves these numbers (a capture's interaction, a merge, an erasure,
an owner or a test flag changed) already marks the person for the people round.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

# Every content row (downloads and form fills, reports.dashboard.CONTENT_TYPES) of the people in {where},
# as rows to insert (the owner from the person; a person
# counted nowhere, by their journey, has none).
ROWS_SQL = """
    SELECT day, person_id, object_type, object_id, owner_id, label, downloads, form_fills,
           LAG(day) OVER (PARTITION BY person_id, object_type, object_id ORDER BY day) AS previous_day
    FROM (
        SELECT (i.occurred_at AT TIME ZONE %s)::date AS day, i.person_id, i.object_type, i.object_id,
               COALESCE(p.owner_id, 0) AS owner_id, MAX(i.object_label) AS label,
               COUNT(*) FILTER (WHERE i.type = 'content_download') AS downloads,
               COUNT(*) FILTER (WHERE i.type = 'form_submit') AS form_fills
        FROM leads_interaction i
        JOIN leads_person p ON p.id = i.person_id
        WHERE i.type IN ('content_download', 'form_submit') {where}
          AND NOT EXISTS (SELECT 1 FROM reports_personjourney j WHERE j.person_id = i.person_id AND j.is_excluded)
        GROUP BY 1, 2, 3, 4, 5
    ) g
"""
INSERT_SQL = """
    INSERT INTO reports_contentday
        (day, person_id, object_type, object_id, owner_id, label, downloads, form_fills, previous_day)
"""


def content_days_refresh(person_ids) -> None:
    """Write these people's content rows again (PostgreSQL; elsewhere the dashboard reads the
    interactions). Ids of people who no longer exist just lose their rows."""
    if connection.vendor != "postgresql":
        return
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_contentday WHERE person_id = ANY(%s)", [ids])
        cursor.execute(INSERT_SQL + ROWS_SQL.format(where="AND i.person_id = ANY(%s)"), [settings.TIME_ZONE, ids])


def content_days_rebuild() -> None:
    """Everybody's content rows again, in one transaction (`reports_rebuild`)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_contentday")
        cursor.execute(INSERT_SQL + ROWS_SQL.format(where=""), [settings.TIME_ZONE])
