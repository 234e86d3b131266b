"""A campaign rendered once per variant set, then filled in per recipient.

The expensive part (Django templates for the blocks, the layout, CSS inlining) runs once per
(campaign, variant set): the personalised blocks' choices and the recommended blocks' pages. What
differs per recipient is left as placeholders `[[sp<nonce>:<kind><n>]]` (merge fields, links, the
unsubscribe and preference links, the open pixel, the trap link) and filled in by joining strings.
The nonce is new per compilation, so text a marketer typed can never be taken for a placeholder.
"""

from __future__ import annotations

import html as html_lib
import re
import secrets
from dataclasses import dataclass
from email.utils import parseaddr

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from campaigns import merge_fields
from campaigns.blocks import LINK_CLOSE, LINK_OPEN, PersonalisedBlock
from campaigns.merge_fields import MergeField
from campaigns.signing import recipient_token

from .links import final_url, own_hosts, trap_url
from .people import Recommendations, SegmentMembership, choose_variant

_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)
_SRC = re.compile(r'(\bsrc=")(/[^/"][^"]*)(")', re.IGNORECASE)
_TEXT_LINK = re.compile(re.escape(LINK_OPEN) + "(.*?)" + re.escape(LINK_CLOSE), re.DOTALL)
LAYOUT = "campaigns/email/layout.html"
PIXEL = '<img src="{}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;" />'
# Hidden from people (display:none, no size, nothing to read) and from screen readers and keyboards.
TRAP = (
    '<a href="{}" aria-hidden="true" tabindex="-1" style="display:none;font-size:0;line-height:0;'
    'max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:transparent;">&#8203;</a>'
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str
    text: str


@dataclass
class _Compiled:
    html: list
    text: list


def _signed_path(name: str) -> tuple[str, str]:
    """The absolute address of a signed campaign link around its token: (before, after)."""
    marker = "TOKENMARKER"
    url = settings.SITE_BASE_URL.rstrip("/") + reverse(f"campaigns:{name}", args=[marker])
    before, _, after = url.partition(marker)
    return before, after


def _sender_name(campaign) -> str:
    name, address = parseaddr(settings.CAMPAIGN_FROM_EMAIL)
    return campaign.from_name or name or address


def _postal_address() -> str:
    from wagtail.models import Site

    from campaigns.models import CampaignSettings

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return ""
    return getattr(CampaignSettings.for_site(site), "postal_address", "") or ""


class CampaignRenderer:
    """Renders one campaign for many people. `prepare(people)` decides segments and recommendations for
    a batch in a few queries; `render(person, recipient=...)` is string joins after the first of a kind."""

    def __init__(self, campaign, *, links=None):
        self.campaign = campaign
        self.hosts = own_hosts()
        self.blocks = list(campaign.body or [])
        segments = [
            variant.get("segment")
            for child in self.blocks
            if child.block_type == "personalised"
            for variant in child.value.get("variants") or []
        ]
        self.membership = SegmentMembership(segments)
        self.recommendations = {
            number: Recommendations(child.value)
            for number, child in enumerate(self.blocks, start=1)
            if child.block_type == "recommended"
        }
        variants = [variant.subject for variant in campaign.subject_variants.all()] if campaign.pk else []
        self.subjects = [merge_fields.split(subject) for subject in [campaign.subject, *variants]]
        self.preheader = merge_fields.split(campaign.preheader or "")
        self.sender_name = _sender_name(campaign)
        self.postal_address = _postal_address()
        self._links = links
        self._positions = None
        self._compiled: dict[tuple, _Compiled] = {}

    # --- per batch ----------------------------------------------------------------------------------
    def prepare(self, people) -> None:
        ids = [person.pk for person in people]
        self.membership.prepare(ids)
        for recommendations in self.recommendations.values():
            recommendations.prepare(ids)

    def _key(self, person_id) -> tuple:
        key = []
        for number, child in enumerate(self.blocks, start=1):
            if child.block_type == "personalised":
                key.append((number, choose_variant(child.value, self.membership, person_id)))
            elif child.block_type == "recommended":
                key.append((number, self.recommendations[number].items_for(person_id)))
        return tuple(key)

    # --- once per variant set ---------------------------------------------------------------------
    def _block(self, number: int, child, choice):
        """(html, text) of one body block for one choice (a variant number, or the recommended items)."""
        block, value = child.block, child.value
        if child.block_type == "personalised":
            chosen = PersonalisedBlock.content_for(value, choice)
            html = block.render(value, {"chosen": chosen})
            text = "\n\n".join(part for part in (sub.block.text_of(sub.value) for sub in chosen) if part)
            return html, text
        if child.block_type == "recommended":
            return block.render(value, {"items": choice}), block.text_for(value, choice)
        return block.render(value, {}), block.text_of(value)

    def _compile(self, key: tuple) -> _Compiled:
        nonce = secrets.token_hex(4)
        links: list[str] = []
        fields: list[MergeField] = []

        def token(kind: str, number: int = 0) -> str:
            return f"[[sp{nonce}:{kind}{number}]]"

        def link(href: str, number: int) -> str:
            url = final_url(href, self.campaign, number, self.hosts)
            if url is None:
                return href
            if not url:
                return "#"
            if url not in links:
                links.append(url)
            return token("l", links.index(url))

        def merged(pieces) -> str:
            out = []
            for piece in pieces:
                if isinstance(piece, str):
                    out.append(piece)
                else:
                    fields.append(piece)
                    out.append(token("m", len(fields) - 1))
            return "".join(out)

        choices = dict(key)
        html_parts, text_parts = [], []
        for number, child in enumerate(self.blocks, start=1):
            html, text = self._block(number, child, choices.get(number))
            html = _HREF.sub(
                lambda m, n=number: m.group(1) + html_lib.escape(link(html_lib.unescape(m.group(2)), n)) + m.group(3),
                str(html),
            )
            html = _SRC.sub(lambda m: m.group(1) + settings.SITE_BASE_URL.rstrip("/") + m.group(2) + m.group(3), html)
            html_parts.append(html)
            text = _TEXT_LINK.sub(lambda m, n=number: link(m.group(1), n), text or "")
            if text:
                text_parts.append(text)
        document = render_to_string(
            LAYOUT,
            {
                "subject": mark_safe(token("s")),
                "preheader": self.campaign.preheader or "",
                "body": mark_safe("\n".join(html_parts)),
                "unsubscribe_href": mark_safe(token("u")),
                "preferences_href": mark_safe(token("p")),
                "pixel": mark_safe(token("o")),
                "trap": mark_safe(token("t")),
                "sender_name": self.sender_name,
                "postal_address": self.postal_address,
            },
        )
        document = merged(merge_fields.split(document, unescape=html_lib.unescape))
        document = css_inline.inline(document, keep_at_rules=True, load_remote_stylesheets=False)
        footer = [
            f"You get this email from {self.sender_name}.",
            f"Unsubscribe: {token('u')}",
            f"Choose which emails you get: {token('p')}",
            self.postal_address,
        ]
        text = "\n\n".join([*text_parts, "--", "\n".join(line for line in footer if line)])
        text = merged(merge_fields.split(text))
        pattern = re.compile(r"\[\[sp" + nonce + r":([a-z])(\d+)\]\]")
        return _Compiled(_pieces(document, pattern, links, fields), _pieces(text, pattern, links, fields))

    # --- per recipient ------------------------------------------------------------------------------
    def positions(self) -> dict:
        if self._positions is None:
            links = self._links
            if links is None:
                from campaigns.models import CampaignLink

                from .links import campaign_links_collect

                # The rows written when sending started; collected here only if they never were.
                links = list(CampaignLink.objects.filter(campaign=self.campaign)) or campaign_links_collect(
                    self.campaign
                )
            self._positions = {
                "links": {link.url: link.position for link in links if not link.is_trap},
                "trap": next((link.position for link in links if link.is_trap), None),
            }
        return self._positions

    def render(self, person, *, recipient=None, variant: int = 0) -> RenderedEmail:
        person_id = getattr(person, "pk", None)
        key = self._key(person_id)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(key)
        if recipient is not None:
            urls = _TrackedUrls(recipient.pk, self.positions())
        else:
            urls = _PlainUrls()
        values = merge_fields.values_for(person, unsubscribe_url=urls.unsubscribe, preferences_url=urls.preferences)
        subject_pieces = self.subjects[variant] if 0 <= variant < len(self.subjects) else self.subjects[0]
        subject = merge_fields.one_line(merge_fields.substitute_plain(subject_pieces, values))
        preheader = merge_fields.substitute_plain(self.preheader, values)
        html = _fill(compiled.html, values, urls, subject, escape=True)
        text = _fill(compiled.text, values, urls, subject, escape=False)
        return RenderedEmail(subject=subject, preheader=preheader, html=html, text=text)


def _pieces(document: str, pattern, links: list[str], fields: list[MergeField]) -> list:
    """The document as strings and placeholders: ("m", MergeField), ("l", url), or (kind, None)."""
    out: list = []
    end = 0
    for match in pattern.finditer(document):
        out.append(document[end : match.start()])
        kind, number = match.group(1), int(match.group(2))
        out.append((kind, fields[number] if kind == "m" else links[number] if kind == "l" else None))
        end = match.end()
    out.append(document[end:])
    return [piece for piece in out if piece != ""]


class _PlainUrls:
    """Previews and test sends: links go straight where they point; no pixel, no trap."""

    unsubscribe = preferences = property(lambda self: trap_url())
    pixel = trap = ""

    def link(self, url: str) -> str:
        return url


class _TrackedUrls:
    """One recipient's signed links: a click link for each numbered link, the pixel, the trap."""

    _prefixes: dict = {}

    def __init__(self, recipient_id: int, positions: dict):
        self.recipient_id = recipient_id
        self.by_url = positions["links"]
        prefixes = self._prefixes.get(settings.SITE_BASE_URL)
        if prefixes is None:
            prefixes = {name: _signed_path(name) for name in ("click", "open", "unsubscribe", "preferences")}
            self._prefixes[settings.SITE_BASE_URL] = prefixes
        self.prefixes = prefixes
        self.unsubscribe = self._signed("unsubscribe", recipient_id)
        self.preferences = self._signed("preferences", recipient_id)
        self.pixel = PIXEL.format(html_lib.escape(self._signed("open", recipient_id)))
        trap = positions["trap"]
        self.trap = TRAP.format(html_lib.escape(self._click(trap))) if trap is not None else ""

    def _signed(self, name: str, value) -> str:
        before, after = self.prefixes[name]
        return f"{before}{recipient_token(value, name)}{after}"

    def _click(self, position: int) -> str:
        return self._signed("click", f"{self.recipient_id}-{position}")

    def link(self, url: str) -> str:
        position = self.by_url.get(url)
        return self._click(position) if position is not None else url  # an uncollected link is never a click link


def _html_value(value: str) -> str:
    return html_lib.escape(value).replace("\n", "<br>")


def _fill(pieces: list, values: dict, urls, subject: str, *, escape: bool) -> str:
    out = []
    for piece in pieces:
        if type(piece) is str:
            out.append(piece)
            continue
        kind, item = piece
        if kind == "m":
            value = values.get(item.name) or item.fallback
            out.append(_html_value(value) if escape else value)
        elif kind == "l":
            url = urls.link(item)
            out.append(html_lib.escape(url) if escape else url)
        elif kind in ("u", "p"):
            url = urls.unsubscribe if kind == "u" else urls.preferences
            out.append(html_lib.escape(url) if escape else url)
        elif kind == "s":
            out.append(html_lib.escape(subject) if escape else subject)
        elif escape and kind == "o":
            out.append(urls.pixel)
        elif escape and kind == "t":
            out.append(urls.trap)
    return "".join(out)


def body_links(campaign) -> list[tuple[str, str]]:
    """(url, label) of every link the body may hold, in order of appearance, every personalised
    variant and every recommended candidate page included: what campaign_links_collect numbers."""
    renderer = CampaignRenderer(campaign, links=[])
    found: list[tuple[str, str]] = []
    seen = set()
    for number, child in enumerate(renderer.blocks, start=1):
        if child.block_type == "personalised":
            choices = [*range(len(child.value.get("variants") or [])), -1]
        elif child.block_type == "recommended":
            choices = [tuple((title, url) for _pk, title, url in renderer.recommendations[number].pool())]
        else:
            choices = [None]
        for choice in choices:
            html, _text = renderer._block(number, child, choice)
            for match in _HREF.finditer(str(html)):
                url = final_url(html_lib.unescape(match.group(2)), campaign, number, renderer.hosts)
                if url and url not in seen:
                    seen.add(url)
                    found.append((url, _label(str(html), match.end())))
    return found


def _label(html: str, start: int) -> str:
    """The visible text of the link whose opening tag ends at `start` (for the results per link)."""
    end = html.find("</a>", start)
    inner = html[html.find(">", start) + 1 : end] if end != -1 else ""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", inner)).split())[:255]
