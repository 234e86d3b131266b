"""Holes in a cached page: the few per-visitor parts of a page kept in the output cache.

A page that hosts a form is the same for everyone but for its form panel: the CSRF token, the form's
own signed "shown at" token, the attribution the visitor brought, and for a known visitor the
progressive questions and "Not you?". Such a page is rendered once with a mark where the panel goes
(`mark("form")`) and kept in the output cache with the description of its holes; every request,
cached or not, fills the holes by string substitution (`fill`). The result is a whole HTML page: it
works without JavaScript.

A filler is `filler(request, spec) -> (html, finish)`: `html` replaces the mark, and `finish(response)`
(or None) sets what the filled part needs on the response (cookies, Cache-Control, Vary).
"""

from __future__ import annotations

from django.utils.module_loading import import_string

# Who fills each kind of hole (cms wires the apps together; the apps know nothing of cms).
FILLERS = {
    "form": "forms.services.journey.form_hole_fill",
    "event_registration": "events.page_holes.registration_fill",
    "event_seats": "events.page_holes.seats_fill",
}


def mark(name: str) -> str:
    """The placeholder a render leaves for hole `name` (an HTML comment: harmless if ever left unfilled)."""
    return f"<!--sp-hole:{name}-->"


def holes_left(request, holes: dict) -> None:
    """Called by a render that left holes: the page cache keeps `holes` with the output it stores."""
    request.sp_page_holes = {**(getattr(request, "sp_page_holes", None) or {}), **holes}


def holes_taken(request) -> dict:
    """The holes the render just made left, and forget them (the request may render again)."""
    holes = getattr(request, "sp_page_holes", None) or {}
    request.sp_page_holes = None
    return holes


def fill(request, response, holes: dict):
    """Fill `response`'s holes for this request; the response, ready to send."""
    if not holes:
        return response
    content = response.content
    finishes = []
    for name, spec in holes.items():
        html, finish = import_string(FILLERS[name])(request, spec)
        content = content.replace(mark(name).encode(), html.encode(), 1)
        if finish is not None:
            finishes.append(finish)
    response.content = content
    for finish in finishes:
        finish(response)
    return response
