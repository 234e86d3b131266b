"""QR codes for tickets (segno: pure Python, no image library needed)."""

import io

import segno


def ticket_png(url: str, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def ticket_svg(url: str) -> str:
    """An inline SVG (no external request, works offline at the door)."""
    return segno.make(url, error="m").svg_inline(scale=6, border=2, title="Ticket QR code")
