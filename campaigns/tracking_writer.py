"""The batch writer of campaign opens and clicks (buffered by campaigns.tracking_buffer).

For each batch: a RecipientActivity per open and click (its event id is unique, so a batch written twice
counts once), the recipient's first-time fields (opened_at for human opens, machine_opened_at for machine
ones, clicked_at for human clicks), and the lead store's interactions: `email_open` (the first human
and the first machine open of each recipient, properties {"machine": ...}) and `email_click` for each
human click on a link a person can see. Then the people concerned are rescored and the stage rules run,
as the page-view writer does. Machine clicks and trap hits are recorded and never reach the lead store.

Waiting for the trap. A scanner follows the trap link and the real links within seconds of each other, in
any order, and the two may fall in different batches. So the writer leaves in the buffer what happened
in the last HOLD_SECONDS (the trap window plus a margin for the relay and slow processes) and, when it
classifies a click, looks at trap hits anywhere in what it read (the held part included) and at those
already stored. A trap hit that still arrives later than that (Redis unreachable for a while) corrects
what was written: the recipient's clicks within the window become machine clicks, their email_click
interactions are removed, clicked_at is set again from the human clicks left, and the person is rescored.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from campaigns.machines import TRAP_WINDOW_SECONDS, is_machine_click_agent, is_machine_open, near_trap
from campaigns.models import CampaignLink, CampaignRecipient, RecipientActivity
from campaigns.tracking_buffer import CLICK, OPEN, relay_drain, tracking_buffer_in_use

FLUSH_LOCK = "campaigns:tracking:flushing"
BATCH = 5_000
HOLD_SECONDS = TRAP_WINDOW_SECONDS + 5  # what happened this recently waits for the next flush
FIRST_TIME_FIELDS = ["opened_at", "machine_opened_at", "clicked_at"]


def _moment(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _parse(item) -> dict | None:
    """A buffered record in checked shapes, or None for anything that is not one."""
    try:
        record = json.loads(item)
        event_id = uuid.UUID(hex=record["e"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    recipient = record.get("r")
    position = record.get("n")
    at = _moment(record.get("at"))
    kind = record.get("k")
    if not isinstance(recipient, int) or isinstance(recipient, bool) or at is None or kind not in (OPEN, CLICK):
        return None
    if kind == CLICK and (not isinstance(position, int) or isinstance(position, bool)):
        return None
    ua, ip = record.get("ua"), record.get("ip")
    return {
        "event_id": event_id,
        "kind": kind,
        "recipient": recipient,
        "position": position,
        "at": at,
        "ua": ua[:255] if isinstance(ua, str) else "",
        "ip": ip[:45] if isinstance(ip, str) else "",
    }


def tracking_flush(*, buffer=None, now=None, hold_seconds: int = HOLD_SECONDS, batch: int = BATCH) -> dict:
    """Write what the buffer holds but its last `hold_seconds`, batch by batch; one flush at a time."""
    if buffer is None:
        relay_drain()
        buffer = tracking_buffer_in_use()
    if not cache.add(FLUSH_LOCK, 1, 300):
        return {"written": 0, "skipped": 0, "busy": True}
    cutoff = (now or timezone.now()) - timedelta(seconds=hold_seconds)
    written = skipped = 0
    people: set[int] = set()
    try:
        while True:
            raw = buffer.peek(batch)
            if not raw:
                break
            parsed = [_parse(item) for item in raw]
            # The records old enough to write: the buffer's oldest, up to the first one still held.
            ready = 0
            while ready < len(parsed) and (parsed[ready] is None or parsed[ready]["at"] <= cutoff):
                ready += 1
            if not ready:
                break
            records = [record for record in parsed[:ready] if record is not None]
            skipped += ready - len(records)
            held_traps = [record for record in parsed[ready:] if record is not None and record["kind"] == CLICK]
            with transaction.atomic():
                count, concerned = _store(records, held_traps)
            people |= concerned
            buffer.drop(ready)  # only now: a flush that dies before this is simply repeated
            written += count
            skipped += len(records) - count
            if ready < len(raw):
                break  # the rest is held for the next flush
    finally:
        cache.delete(FLUSH_LOCK)
    promoted = _rescore(people)
    return {"written": written, "skipped": skipped, "people": len(people), "became MQL": promoted}


def _rescore(people: set[int]) -> int:
    from leads.services import people_rescore
    from leads.services.lifecycle import people_stage_rules_apply

    if not people:
        return 0
    # Opens and clicks are facts segments read (opened_email, clicked_email): personalisation hears of
    # everybody concerned, not only of those whose score moved.
    people_rescore(people, notify_unchanged=True)
    return people_stage_rules_apply(person_ids=people)


def _store(records: list[dict], held: list[dict]) -> tuple[int, set[int]]:
    """Write one batch; returns how many records were written and the people whose interactions changed."""
    from leads.services.interactions import interactions_record_many

    recipients = {
        row["pk"]: row
        for row in CampaignRecipient.objects.filter(pk__in={r["recipient"] for r in records}).values(
            "pk",
            "campaign_id",
            "person_id",
            "opened_at",
            "machine_opened_at",
            "clicked_at",
            "campaign__name",
            "campaign__content_topics",
        )
    }
    links = {
        (row["campaign_id"], row["position"]): row
        for row in CampaignLink.objects.filter(campaign_id__in={r["campaign_id"] for r in recipients.values()}).values(
            "pk", "campaign_id", "position", "url", "label", "is_trap"
        )
    }
    traps = _trap_hits([*records, *held], recipients, links)
    activities, interactions, first = [], [], defaultdict(dict)
    late_traps: list[tuple[int, datetime]] = []
    for record in records:
        recipient = recipients.get(record["recipient"])
        if recipient is None:
            continue  # the recipient (or their campaign) was deleted since
        link = links.get((recipient["campaign_id"], record["position"])) if record["kind"] == CLICK else None
        if record["kind"] == CLICK and link is None:
            continue
        if record["kind"] == OPEN:
            machine = is_machine_open(record["ua"], record["ip"])
            field = "machine_opened_at" if machine else "opened_at"
        else:
            machine = (
                link["is_trap"]
                or is_machine_click_agent(record["ua"])
                or near_trap(record["at"], traps.get(recipient["pk"], []))
            )
            field = None if machine else "clicked_at"
            if link["is_trap"]:
                late_traps.append((recipient["pk"], record["at"]))
        activities.append(
            RecipientActivity(
                recipient_id=recipient["pk"],
                kind=RecipientActivity.Kind.OPEN if record["kind"] == OPEN else RecipientActivity.Kind.CLICK,
                is_machine=machine,
                link_id=link["pk"] if link else None,
                occurred_at=record["at"],
                user_agent=record["ua"],
                event_id=record["event_id"],
            )
        )
        if field is None:
            continue
        earlier = first[recipient["pk"]].get(field) or recipient[field]
        is_first = earlier is None or record["at"] < earlier
        if is_first:
            first[recipient["pk"]][field] = record["at"]
        if recipient["person_id"] and (record["kind"] == CLICK or (is_first and recipient[field] is None)):
            interactions.append(_interaction(record, recipient, link, machine))
    RecipientActivity.objects.bulk_create(activities, batch_size=1000, ignore_conflicts=True)
    _first_times_save(first, recipients)
    # Only the first open of each kind per recipient reaches the lead store: a proxy fetching the pixel
    # ten times is one open. A record already written (a batch written again) finds its field set then.
    interactions = _first_opens_only(interactions)
    people = interactions_record_many(interactions) if interactions else set()
    people |= _late_traps_correct(late_traps)
    return len(activities), people


def _first_opens_only(interactions: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for row in sorted(interactions, key=lambda row: row["occurred_at"]):
        if row["type"] == "email_open":
            key = (row["object_id"], row["person_id"], row["properties"]["machine"])
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def _trap_hits(records: list[dict], recipients: dict, links: dict) -> dict[int, list[datetime]]:
    """Each recipient's trap hits: in what was read (held records included) and already stored nearby."""
    hits: dict[int, list[datetime]] = defaultdict(list)
    for record in records:
        recipient = recipients.get(record["recipient"])
        if record["kind"] != CLICK or recipient is None:
            continue
        link = links.get((recipient["campaign_id"], record["position"]))
        if link is not None and link["is_trap"]:
            hits[recipient["pk"]].append(record["at"])
    clicking = {
        record["recipient"] for record in records if record["kind"] == CLICK and record["recipient"] in recipients
    }
    if clicking:
        stored = RecipientActivity.objects.filter(
            recipient_id__in=clicking, kind=RecipientActivity.Kind.CLICK, link__is_trap=True
        ).values_list("recipient_id", "occurred_at")
        for recipient_id, at in stored:
            hits[recipient_id].append(at)
    return hits


def _interaction(record: dict, recipient: dict, link: dict | None, machine: bool) -> dict:
    topics = [topic.strip() for topic in (recipient["campaign__content_topics"] or "").split(",") if topic.strip()]
    row = {
        "event_id": record["event_id"],
        "occurred_at": record["at"],
        "person_id": recipient["person_id"],
        "object_type": "email",
        "object_id": str(recipient["campaign_id"]),
        "object_label": recipient["campaign__name"],
        "object_topics": topics,
    }
    if record["kind"] == OPEN:
        return {**row, "type": "email_open", "properties": {"machine": machine}}
    return {
        **row,
        "type": "email_click",
        "properties": {"url": link["url"], "position": link["position"], "label": link["label"]},
    }


def _first_times_save(first: dict[int, dict], recipients: dict[int, dict]) -> None:
    """Set each recipient's first-time fields where this batch has an earlier time than the row read at the
    start of the batch (one flush at a time, and nothing else writes these fields): one bulk UPDATE."""
    changed = []
    for recipient_id, fields in first.items():
        row = CampaignRecipient(pk=recipient_id)
        for name in FIRST_TIME_FIELDS:
            current = recipients[recipient_id][name]
            new = fields.get(name)
            setattr(row, name, new if new is not None and (current is None or new < current) else current)
        changed.append(row)
    CampaignRecipient.objects.bulk_update(changed, FIRST_TIME_FIELDS, batch_size=500)


def _late_traps_correct(traps: list[tuple[int, datetime]]) -> set[int]:
    """Clicks written as human before their trap hit was seen (an earlier batch): machine clicks now, their
    email_click interactions gone, clicked_at set again from the human clicks left. One read when none."""
    from leads.models import Interaction

    if not traps:
        return set()
    reach = timedelta(seconds=TRAP_WINDOW_SECONDS)
    hits: dict[int, list[datetime]] = defaultdict(list)
    for recipient_id, at in traps:
        hits[recipient_id].append(at)
    moments = [at for _, at in traps]
    candidates = RecipientActivity.objects.filter(
        recipient_id__in=hits,
        kind=RecipientActivity.Kind.CLICK,
        is_machine=False,
        occurred_at__gte=min(moments) - reach,
        occurred_at__lte=max(moments) + reach,
    ).values_list("pk", "recipient_id", "occurred_at", "event_id")
    wrong = [
        (pk, recipient_id, event_id)
        for pk, recipient_id, at, event_id in candidates
        if near_trap(at, hits[recipient_id])
    ]
    if not wrong:
        return set()
    RecipientActivity.objects.filter(pk__in=[pk for pk, _, _ in wrong]).update(is_machine=True)
    gone = Interaction.objects.filter(event_id__in=[event_id for _, _, event_id in wrong], type="email_click")
    people = set(gone.exclude(person_id=None).values_list("person_id", flat=True))
    gone.delete()
    for recipient_id in {recipient_id for _, recipient_id, _ in wrong}:
        human_first = RecipientActivity.objects.filter(
            recipient_id=recipient_id, kind=RecipientActivity.Kind.CLICK, is_machine=False
        ).aggregate(first=Min("occurred_at"))["first"]
        CampaignRecipient.objects.filter(pk=recipient_id).update(clicked_at=human_first)
    return people
