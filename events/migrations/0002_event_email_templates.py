"""One editable EventEmailTemplate row per kind of event email, with the wording the app ships with.

The texts are copied here (not imported from events.services.emails) so this migration gives the same
rows whatever later versions of the code say; marketers edit them in Events > Event emails. A row that
already exists (edited by a marketer, or made by hand) is left as it is.
"""

from django.db import migrations

TEMPLATES = {
    "confirmation": (
        "You're registered: {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "you're registered for {{ event_title }} on {{ event_date }} at {{ event_time }} "
            "({{ time_zone }}).\n"
            "\n"
            "Where: {{ where }}\n"
            "\n"
            "Your ticket (show the QR code at the door): {{ ticket_url }}\n"
            "Add it to your calendar with the attached file.\n"
            "\n"
            "Can't make it? Cancel here and free your seat for someone else: {{ cancel_url }}\n"
            "\n"
            "See you there!"
        ),
    ),
    "pending": (
        "We've received your registration for {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "thank you for registering for {{ event_title }} on {{ event_date }}. Places are confirmed by our "
            "team: we'll email you again as soon as yours is.\n"
            "\n"
            "Changed your mind? {{ cancel_url }}"
        ),
    ),
    "approved": (
        "Your place at {{ event_title }} is confirmed",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "good news: your place at {{ event_title }} on {{ event_date }} at {{ event_time }} "
            "({{ time_zone }}) is confirmed.\n"
            "\n"
            "Where: {{ where }}\n"
            "\n"
            "Your ticket: {{ ticket_url }}\n"
            "\n"
            "Can't make it? {{ cancel_url }}"
        ),
    ),
    "rejected": (
        "Your registration for {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "thank you for your interest in {{ event_title }}. Unfortunately we can't offer you a place this "
            "time.\n"
            "\n"
            "{{ rejection_reason }}\n"
            "\n"
            "We hope to see you at one of our next events: {{ event_url }}"
        ),
    ),
    "waitlisted": (
        "You're on the waitlist for {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "{{ event_title }} is full at the moment, so you're on the waitlist. If a seat opens up it's "
            "yours, in the order people joined, and we'll email you your ticket.\n"
            "\n"
            "No longer interested? {{ cancel_url }}"
        ),
    ),
    "promoted": (
        "A seat opened up: you're in for {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "a seat opened up and it's yours: you're registered for {{ event_title }} on {{ event_date }} at "
            "{{ event_time }} ({{ time_zone }}).\n"
            "\n"
            "Where: {{ where }}\n"
            "\n"
            "Your ticket: {{ ticket_url }}\n"
            "\n"
            "Can't make it after all? {{ cancel_url }}"
        ),
    ),
    "cancelled": (
        "Your registration for {{ event_title }} is cancelled",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "your registration for {{ event_title }} on {{ event_date }} is cancelled. Changed your mind "
            "again? Register here: {{ event_url }}"
        ),
    ),
    "reminder": (
        "Reminder: {{ event_title }} starts {{ starts_in }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "a reminder: {{ event_title }} starts {{ starts_in }}, on {{ event_date }} at {{ event_time }} "
            "({{ time_zone }}).\n"
            "\n"
            "Where: {{ where }}\n"
            "{{ join_line }}\n"
            "Your ticket: {{ ticket_url }}\n"
            "\n"
            "Can't make it? Please free your seat: {{ cancel_url }}"
        ),
    ),
    "thank_you": (
        "Thank you for joining {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "thank you for joining {{ event_title }}.\n"
            "\n"
            "{{ recording_line }}\n"
            "\n"
            "We'd love to see you at the next one: {{ event_url }}"
        ),
    ),
    "missed_you": (
        "Sorry we missed you at {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "we missed you at {{ event_title }}. {{ recording_line }}\n"
            "\n"
            "Our next events: {{ event_url }}"
        ),
    ),
    "event_cancelled": (
        "Cancelled: {{ event_title }}",
        (
            "Hello {{ first_name }},\n"
            "\n"
            "we're sorry: {{ event_title }}, planned for {{ event_date }}, is cancelled. The attached file "
            "removes it from your calendar.\n"
            "\n"
            "We apologise for the inconvenience and hope to see you at another event: {{ event_url }}"
        ),
    ),
}


def create_templates(apps, schema_editor):
    EventEmailTemplate = apps.get_model("events", "EventEmailTemplate")
    existing = set(EventEmailTemplate.objects.values_list("kind", flat=True))
    EventEmailTemplate.objects.bulk_create(
        EventEmailTemplate(kind=kind, subject=subject, body=body, is_active=True)
        for kind, (subject, body) in TEMPLATES.items()
        if kind not in existing
    )


def remove_unedited_templates(apps, schema_editor):
    """Going back removes only rows still worded as shipped: a marketer's wording is not thrown away."""
    EventEmailTemplate = apps.get_model("events", "EventEmailTemplate")
    for kind, (subject, body) in TEMPLATES.items():
        EventEmailTemplate.objects.filter(kind=kind, subject=subject, body=body).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_unedited_templates)]
