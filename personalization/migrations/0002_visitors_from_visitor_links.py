"""Visitors identified by forms before personalisation existed get a visitor row, linked to their person."""

from django.db import migrations


def forwards(apps, schema_editor):
    VisitorLink = apps.get_model("leads", "VisitorLink")
    Visitor = apps.get_model("personalization", "Visitor")
    latest = {}
    for visitor_id, person_id, first, last in VisitorLink.objects.order_by("last_linked_at").values_list(
        "visitor_id", "person_id", "first_linked_at", "last_linked_at"
    ).iterator():
        seen = latest.get(visitor_id)
        latest[visitor_id] = (person_id, min(first, seen[1]) if seen else first, last)
    Visitor.objects.bulk_create(
        [Visitor(visitor_id=visitor_id, person_id=person_id, first_seen_at=first, last_seen_at=last, visit_count=1)
         for visitor_id, (person_id, first, last) in latest.items()],
        batch_size=1000, ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("personalization", "0001_initial"),
        ("leads", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
