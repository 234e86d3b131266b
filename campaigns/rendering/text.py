"""Rich text as plain text for the text part: paragraphs, line breaks, list items, and links marked
for rendering (campaigns.blocks.text_link) so they get the same UTM and tracking as the HTML's."""

import re
from html.parser import HTMLParser

from campaigns.blocks import text_link

_SPACES = re.compile(r"\s+")
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr"}


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href_stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in _BLOCKS:
            self.out.append("\n\n")
        elif tag == "a":
            self.href_stack.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag == "a" and self.href_stack:
            href = self.href_stack.pop()
            if href.startswith(("http://", "https://", "/")):
                self.out.append(f" ({text_link(href)})")
        elif tag in _BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data):
        self.out.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html or "")
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
