"""The kinds of email the product sends, registered by the apps that own them.

Each app registers its kinds in its AppConfig.ready: a label for the admin and, for mail built when
it is sent, a builder. A builder gets the OutgoingEmail row and returns the message to send (an
EmailMessage), or a string: the reason it is no longer to be sent (the row becomes "skipped" with
that reason). Kinds whose rows carry their message (subject, text, recipients) need no builder.

The registry lives in code, keyed by kind: the database never names a function to import.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.mail import EmailMessage


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    build: Callable[..., EmailMessage | str] | None = None


_KINDS: dict[str, Kind] = {}


def register(name: str, label: str, *, build: Callable[..., EmailMessage | str] | None = None) -> Kind:
    """Register (or re-register, e.g. on a second ready()) one kind of email."""
    kind = Kind(name=name, label=label, build=build)
    _KINDS[name] = kind
    return kind


def get(name: str) -> Kind | None:
    return _KINDS.get(name)


def kind_label(name: str) -> str:
    kind = _KINDS.get(name)
    return kind.label if kind else name


def choices() -> list[tuple[str, str]]:
    """(name, label) of every registered kind, by label: the admin's kind filter."""
    return sorted(((kind.name, kind.label) for kind in _KINDS.values()), key=lambda pair: pair[1].lower())
