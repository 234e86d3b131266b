"""Signed webhook intake for third-party lead-gen forms (social ad lead forms)."""

from ninja import Router

router = Router(tags=["intake"])
