"""The demo's telemarketing queue: the telemarketer login has already called a few of the leads
nobody owns yet, so the queue shows earlier calls and the people's timelines show them.

The queue itself needs no seeding: the demo's leads with a phone that are not MQLs yet are in it.
Loaded once: a lead store that has calls already gets none.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model

from leads.models import Interaction
from leads.services.calls import call_record

TELEMARKETER_USERNAME = "tina.telemarketing"
# outcome, how long ago, note: each leaves the person in the queue (sales.telemarketing.CALL_HOLDS).
CALLS = [
    ("reached", timedelta(days=9), "Evaluating tools this quarter; call back after their board meeting"),
    ("no_answer", timedelta(days=2), "Voicemail"),
    ("no_answer", timedelta(hours=6), ""),
]


def telemarketing_demo(report, now):
    from sales.telemarketing import queue_people

    caller = get_user_model().objects.filter(username=TELEMARKETER_USERNAME).first()
    if caller is None or Interaction.objects.filter(type=Interaction.Type.CALL).exists():
        return
    people = list(queue_people(now)[: len(CALLS)])
    for person, (outcome, ago, note) in zip(people, CALLS, strict=False):
        call_record(person, outcome=outcome, actor=caller, note=note, at=now - ago)
    if people:
        report.add(f"{len(people)} earlier calls in the telemarketing queue")
