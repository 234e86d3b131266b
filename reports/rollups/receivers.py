"""What the lead store says, turned into marks for the rollups (connected in reports.apps.ready).

people_changed arrives after its transaction committed: a mark is one upsert. (visitor_identified is
not followed: joining a browser's views to a person rescores them, which says people_changed, and the
sweep then recomputes the days whose person changed.)
page_views_written arrives inside the writer's transaction: what the sweep must add is recorded there
(the views' ids on PostgreSQL, their visitor-days elsewhere), so it commits with the views.
A person deleted takes their page views with them (CASCADE), so their visitor-days are marked while
the views can still be found.
"""

from __future__ import annotations

from leads.models import Interaction, Person, SalesRep
from leads.signals import page_views_written, people_changed

from . import everybody_mark, page_views_written_receive, people_mark, visitor_days_mark
from .visitors import keys_of_views


def _people_changed(sender, person_ids=None, **kwargs):
    if person_ids is None:
        everybody_mark()
    else:
        people_mark(person_ids)


def _page_views_written(sender, views=(), inserted_table=None, **kwargs):
    page_views_written_receive(views, inserted_table)


def _person_deleting(sender, instance, **kwargs):
    # Merged: the views moved to the kept person already, this finds none. Erased: their days lose them.
    views = (
        Interaction.objects.filter(person_id=instance.pk, type=Interaction.Type.PAGE_VIEW)
        .exclude(visitor_id="")
        .values_list("visitor_id", "occurred_at")
    )
    visitor_days_mark(keys_of_views(views))


def _sales_rep_saved(sender, instance, **kwargs):
    # A rep moved to another team: the journeys of the people they own carry the team.
    people_mark(Person.objects.filter(owner_id=instance.user_id).values_list("pk", flat=True))


def connect() -> None:
    from django.db.models.signals import post_save, pre_delete

    people_changed.connect(_people_changed, dispatch_uid="reports-rollups-people")
    page_views_written.connect(_page_views_written, dispatch_uid="reports-rollups-page-views")
    pre_delete.connect(_person_deleting, sender=Person, dispatch_uid="reports-rollups-person-deleting")
    post_save.connect(_sales_rep_saved, sender=SalesRep, dispatch_uid="reports-rollups-sales-rep")
