"""Refusing a CRM feedback call: the status, a machine-readable code, a sentence, and the field at fault.

A refused call changes nothing and is not kept as an event (a corrected call with the same event id is
then taken); it is logged with its code, so an operator can see what a CRM keeps sending wrong.
"""


class FeedbackRefused(Exception):
    """A call we refuse: the HTTP status, a machine-readable code, a sentence naming the problem."""

    def __init__(self, status: int, error: str, detail: str, *, field: str = ""):
        super().__init__(detail)
        self.status, self.error, self.detail, self.field = status, error, detail, field

    def as_dict(self) -> dict:
        body = {"error": self.error, "detail": self.detail}
        if self.field:
            body["field"] = self.field
        return body


def invalid(field: str, detail: str) -> FeedbackRefused:
    """A field that is there but cannot be taken (422)."""
    return FeedbackRefused(422, "invalid_field", detail, field=field)


def missing(field: str, detail: str) -> FeedbackRefused:
    """A field the call needs and does not have (422)."""
    return FeedbackRefused(422, "missing_field", detail, field=field)
