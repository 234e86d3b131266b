"""A body using every block in the library, for rendering and API tests."""

BLOCK_TYPES = [
    "hero",
    "rich_text",
    "call_to_action",
    "card_grid",
    "quote",
    "metrics",
    "logo_cloud",
    "image",
    "video",
    "faq",
    "two_columns",
]


def every_block_body(*, image, cta, link_page, topic):
    link = {"label": "Read more", "page": link_page, "url": ""}
    return [
        (
            "hero",
            {
                "headline": "Turn signals into pipeline",
                "subhead": "One list.",
                "image": image,
                "call_to_action": {"label": "Book a demo", "page": None, "url": "https://example.com/demo"},
            },
        ),
        ("rich_text", f'<p>See <a linktype="page" id="{link_page.pk}">our platform</a>.</p>'),
        ("call_to_action", {"call_to_action": cta, "style": "banner"}),
        (
            "card_grid",
            {
                "heading": "Manual cards",
                "source": "manual",
                "topic": None,
                "industry": None,
                "limit": 3,
                "cards": [{"title": "Card one", "text": "Text", "image": image, "link": link}],
            },
        ),
        (
            "card_grid",
            {
                "heading": "Latest research",
                "source": "whitepapers",
                "topic": topic,
                "industry": None,
                "limit": 3,
                "cards": [],
            },
        ),
        (
            "quote",
            {
                "quote": "We finally have one list.",
                "person": "Laura Chen",
                "job_title": "Head of Growth",
                "company": "Meridian",
                "photo": image,
            },
        ),
        ("metrics", {"heading": "Results", "metrics": [{"value": "42%", "label": "more pipeline"}]}),
        ("logo_cloud", {"heading": "Trusted by", "logos": [{"name": "Meridian", "logo": image, "url": ""}]}),
        ("image", {"image": image, "alt_text": "A chart of pipeline growth", "caption": "Pipeline, 2026"}),
        (
            "video",
            {
                "url": "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
                "title": "Product tour",
                "poster": image,
                "caption": "Two minutes",
            },
        ),
        ("faq", {"heading": "FAQ", "items": [{"question": "Is there a trial?", "answer": "<p>Yes, 14 days.</p>"}]}),
        (
            "two_columns",
            {
                "left": [("rich_text", "<p>Left column</p>")],
                "right": [
                    (
                        "quote",
                        {"quote": "Right column quote", "person": "", "job_title": "", "company": "", "photo": None},
                    )
                ],
            },
        ),
    ]
