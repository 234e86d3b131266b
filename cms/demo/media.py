"""Generated demo media: abstract cover images (Pillow) and whitepaper PDFs (reportlab).

Everything is made at load time so the repository carries no binary fixtures.
"""

import hashlib
import io
import random

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

PALETTES = [
    ("#1e1b4b", "#4f46e5", "#a5b4fc"),
    ("#082f49", "#0284c7", "#7dd3fc"),
    ("#052e16", "#15803d", "#86efac"),
    ("#431407", "#c2410c", "#fdba74"),
    ("#3b0764", "#9333ea", "#d8b4fe"),
    ("#0f172a", "#334155", "#cbd5e1"),
]


def _rng(seed: str) -> random.Random:
    return random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16))


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def abstract_image(seed: str, *, width=1600, height=900, label: str = "") -> bytes:
    """A deterministic abstract artwork (gradient, circles, grid) as JPEG bytes."""
    rng = _rng(seed)
    dark, mid, light = (_hex(c) for c in rng.choice(PALETTES))
    image = PILImage.new("RGB", (width, height), dark)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(dark[i] * (1 - t) + mid[i] * t) for i in range(3)))
    for _ in range(7):
        r = rng.randint(height // 8, height // 2)
        x, y = rng.randint(-r, width), rng.randint(-r, height)
        draw.ellipse([x, y, x + r * 2, y + r * 2], outline=light, width=rng.randint(2, 6))
    step = width // 16
    for x in range(0, width, step):
        draw.line([(x, 0), (x, height)], fill=tuple(min(255, c + 18) for c in dark), width=1)
    if label:
        font = ImageFont.load_default(size=max(24, height // 9))
        draw.text((width // 16, height - height // 4), label, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def logo_image(name: str) -> bytes:
    """A simple wordmark logo as PNG bytes."""
    rng = _rng(name)
    _, mid, _ = (_hex(c) for c in rng.choice(PALETTES))
    image = PILImage.new("RGBA", (480, 160), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([8, 40, 88, 120], radius=18, fill=mid)
    font = ImageFont.load_default(size=44)
    draw.text((108, 52), name, fill=(15, 23, 42), font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def whitepaper_pdf(title: str, summary: str, sections: list[tuple[str, str]], *, author: str) -> tuple[bytes, int]:
    """A real, multi-page PDF for a whitepaper; returns (bytes, page count)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    styles["Title"].textColor = colors.HexColor("#1e1b4b")
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author=author, leftMargin=22 * mm, rightMargin=22 * mm)
    story = [
        Spacer(1, 60 * mm),
        Paragraph(title, styles["Title"]),
        Spacer(1, 8 * mm),
        Paragraph(summary, styles["Italic"]),
        Spacer(1, 8 * mm),
        Paragraph(f"Northwind Signal research · {author}", styles["Normal"]),
        PageBreak(),
    ]
    for heading, text in sections:
        story.append(Paragraph(heading, styles["Heading2"]))
        for paragraph in text.split("\n\n"):
            story.append(Paragraph(paragraph, styles["BodyText"]))
            story.append(Spacer(1, 3 * mm))
        story.append(PageBreak())
    story.append(Paragraph("About Northwind Signal", styles["Heading2"]))
    story.append(
        Paragraph(
            "Northwind Signal is the revenue intelligence platform for B2B teams: one view of "
            "every account, every signal and every next step.",
            styles["BodyText"],
        )
    )
    page_count = {"n": 0}

    def count_page(canvas, _doc):
        page_count["n"] += 1
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#64748b"))
        canvas.drawString(22 * mm, 12 * mm, f"{title} · page {canvas.getPageNumber()}")

    doc.build(story, onFirstPage=count_page, onLaterPages=count_page)
    return buffer.getvalue(), page_count["n"]
