"""Event emails move to the product's outbox: every EmailDelivery row becomes an OutgoingEmail about
its registration, with its status, attempts, error, times and key, and with the same id (a delivery
task still in the database queue names its row by id: events.tasks.deliver_event_email now hands
that id to the outbox). Then EmailDelivery goes.

Pending rows are due at once and have no task on record: the outbox's sweep queues them (the old
tasks, if they run first, claim them; either way each is sent once).
"""

from django.core.management.color import no_style
from django.db import migrations

BATCH = 2000
PREFIX = "events."


def to_outbox(apps, schema_editor):
    EmailDelivery = apps.get_model("events", "EmailDelivery")
    OutgoingEmail = apps.get_model("outbox", "OutgoingEmail")
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not EmailDelivery.objects.exists():
        return
    registration_type, _ = ContentType.objects.get_or_create(app_label="events", model="registration")
    rows = EmailDelivery.objects.order_by("pk").values_list(
        "pk", "registration_id", "registration__email", "kind", "key", "status", "created_at", "claimed_at",
        "sent_at", "attempts", "error")
    batch = []
    for pk, registration_id, email, kind, key, status, created_at, claimed_at, sent_at, attempts, error in \
            rows.iterator(chunk_size=BATCH):
        batch.append(OutgoingEmail(
            id=pk, kind=PREFIX + kind, about_type=registration_type, about_id=registration_id, key=key,
            recipients=[email], status=status, attempts=attempts, created_at=created_at,
            next_attempt_at=created_at, queued_at=None, claimed_at=claimed_at, sent_at=sent_at, last_error=error,
        ))
        if len(batch) >= BATCH:
            OutgoingEmail.objects.bulk_create(batch)
            batch = []
    OutgoingEmail.objects.bulk_create(batch)
    # The rows kept their ids: move the id sequence past them (PostgreSQL; SQLite follows by itself).
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [OutgoingEmail]):
            cursor.execute(sql)


def from_outbox(apps, schema_editor):
    EmailDelivery = apps.get_model("events", "EmailDelivery")
    OutgoingEmail = apps.get_model("outbox", "OutgoingEmail")
    ContentType = apps.get_model("contenttypes", "ContentType")
    registration_type = ContentType.objects.filter(app_label="events", model="registration").first()
    if registration_type is None:
        return
    emails = OutgoingEmail.objects.filter(about_type=registration_type, kind__startswith=PREFIX)
    batch = []
    for email in emails.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(EmailDelivery(
            id=email.pk, registration_id=email.about_id, kind=email.kind.removeprefix(PREFIX), key=email.key,
            status=email.status, created_at=email.created_at, claimed_at=email.claimed_at, sent_at=email.sent_at,
            attempts=email.attempts, error=email.last_error[:500],
        ))
        if len(batch) >= BATCH:
            EmailDelivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    EmailDelivery.objects.bulk_create(batch, ignore_conflicts=True)
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [EmailDelivery]):
            cursor.execute(sql)
    emails.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0002_event_email_templates"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(to_outbox, from_outbox),
        migrations.DeleteModel(name="EmailDelivery"),
    ]
