"""When an event's reminders go out: offsets before the start, written the way marketers type them
("24h, 1h"; m, h or d), parsed, labelled and validated.

Kept apart from the event so the schedule (events.services.schedule) and the event's form field share
one reading of the text. Migrations name validate_offsets as events.models.validate_offsets, so the
package re-exports it.
"""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError

OFFSET_PATTERN = re.compile(r"^\s*(\d{1,4})\s*([mhd])\s*$", re.IGNORECASE)
OFFSET_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_offsets(text: str) -> list[timedelta]:
    """ "24h, 1h" -> [24 hours, 1 hour], largest first. Raises ValueError naming the bad part."""
    offsets = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = OFFSET_PATTERN.match(part)
        if not match:
            raise ValueError(f"“{part.strip()[:20]}” is not an offset: use a number and m, h or d, e.g. 24h, 1h, 30m.")
        seconds = int(match.group(1)) * OFFSET_UNITS[match.group(2).lower()]
        if not 0 < seconds <= 60 * 86400:
            raise ValueError(f"“{part.strip()}”: reminders go out between a minute and 60 days before the start.")
        offsets.append(timedelta(seconds=seconds))
    return sorted(set(offsets), reverse=True)


def offset_label(offset: timedelta) -> str:
    """How people write it: 30m, 1h, 24h, 2d (days only from two days up)."""
    seconds = int(offset.total_seconds())
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def validate_offsets(text):
    try:
        parse_offsets(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None
