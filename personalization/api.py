"""Personalisation for headless front ends (/api/v1/personalization/...).

Content itself comes from the content API (/api/v2/pages/...), where personalised blocks arrive
resolved for the visitor named by the X-Visitor-Id header. These endpoints tell a front end who
the visitor is and which segments they are in, and take CTA clicks on variants.
"""

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router, Schema
from ninja.responses import Status

from core.edge import ErrorsOut

from . import stats
from .services import visitor_context
from .views import click_allowed

router = Router(tags=["personalization"])


class SegmentOut(Schema):
    id: int
    name: str
    priority: int


class VisitorOut(Schema):
    visitor_id: str
    new: bool
    tracking: bool
    known: bool
    segments: list[SegmentOut]


class ClickIn(Schema):
    variant_key: str


@router.get("/visitor", response=VisitorOut)
def visitor(request, response: HttpResponse):
    """The visitor behind X-Visitor-Id (or the cookie); a new id when none was sent: keep it and send it
    back as X-Visitor-Id on every call. `tracking` is false without consent or with Global Privacy Control."""
    # One visitor's id and segments: no shared cache (a CDN, a proxy) may keep it, nor the browser reuse it.
    patch_cache_control(response, private=True, no_store=True)
    context = visitor_context(request)
    segments = context.segments
    ids = sorted(context.segment_ids, key=segments.rank)
    return {
        "visitor_id": context.visitor_id,
        "new": context.is_new,
        "tracking": context.tracking,
        "known": context.person is not None,
        "segments": [
            {"id": pk, "name": segments.by_id[pk].name, "priority": segments.by_id[pk].priority}
            for pk in ids
            if pk in segments.by_id
        ],
    }


@router.post("/clicks", response={204: None, 400: ErrorsOut, 422: ErrorsOut})
def click(request, body: ClickIn):
    """A click on a link inside a personalised block: send the block's `variant_key` from the content API."""
    key = stats.unsign_key(body.variant_key)
    if key is None:
        return Status(422, {"errors": {"variant_key": ["not a key handed out by the content API"]}})
    if click_allowed(request, key):  # a replayed key counts at most CLICKS_PER_HOUR times per address
        stats.record("clicks", [key])
    return Status(204, None)
