"""Signed, expiring, person-bound links to gated documents.

A link names the document, the object it unlocks and whom it was issued to: the captured lead
(right after a form fill, before the lead store has resolved the person) or the person (a known
visitor skipping the gate). Changing any part breaks the signature; the age is checked on use.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "signalpage.forms.download"


@dataclass(frozen=True)
class DownloadGrant:
    document_id: int
    object_id: str
    lead_id: int | None = None
    person_id: int | None = None
    topics: tuple[str, ...] = ()


class LinkInvalid(Exception):
    pass


class LinkExpired(Exception):
    """An authentic link past its age; it still says which object it unlocked, so the visitor can be
    sent back to that page's form for a new one."""

    def __init__(self, object_id: str = ""):
        super().__init__(object_id)
        self.object_id = object_id


def download_token(grant: DownloadGrant) -> str:
    data = {"d": grant.document_id, "o": grant.object_id}
    if grant.lead_id:
        data["l"] = grant.lead_id
    if grant.person_id:
        data["p"] = grant.person_id
    if grant.topics:
        data["t"] = list(grant.topics)
    return signing.dumps(data, salt=SALT, compress=True)


def download_path(grant: DownloadGrant) -> str:
    return reverse("gated_download", args=[download_token(grant)])


def grant_from_token(token: str) -> DownloadGrant:
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.GATED_DOWNLOAD_MAX_AGE)
    except signing.SignatureExpired:
        data = signing.loads(token, salt=SALT)  # the signature was good: only the age failed
        raise LinkExpired(str(data.get("o", "")) if isinstance(data, dict) else "") from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) or not (data.get("l") or data.get("p")):
        raise LinkInvalid
    topics = data.get("t") if isinstance(data.get("t"), list) else []
    return DownloadGrant(
        document_id=data["d"],
        object_id=str(data.get("o", "")),
        lead_id=data.get("l"),
        person_id=data.get("p"),
        topics=tuple(str(topic) for topic in topics),
    )
