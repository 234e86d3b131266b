"""Headless forms: a form's definition for this visitor, and submitting it."""

from ninja import Router

router = Router(tags=["forms"])
