"""Telling machines from people in campaign tracking: which opens a mail-privacy proxy or a scanner made,
and which clicks a security scanner made. Machine activity is recorded (the results show it apart) and
never scored.

Opens. Apple Mail Privacy Protection (iOS 15+, macOS 12+) fetches every remote image of a message through
Apple's proxies as soon as the message reaches the device, read or not, so a whole Apple audience "opens".
Its fetches carry the bare user agent `Mozilla/5.0` (no browser, no OS: no mail client a person reads
with sends that alone) and come from Apple's Private Relay egress addresses or Apple's own 17.0.0.0/8.
We call an open a machine's when its user agent is the bare `Mozilla/5.0`, when it comes from 17.0.0.0/8,
when it has no user agent at all, or when the user-agent parser (the one request_facts uses) calls it a
bot or it names a known link scanner. Google's image proxy (`GoogleImageProxy`, Gmail) and Yahoo's
(`YahooMailProxy`) fetch when the person opens the message (then cache it), so their opens count as
human: they undercount repeat opens, they don't invent any. Opens stay unreliable either way; the shipped
scoring rules don't score them (docs/email.md).

Clicks. Security gateways (Microsoft Defender Safe Links, Mimecast, Proofpoint, Barracuda...) follow
every link of a message, often tens of seconds after delivery and with ordinary browser user agents, so
neither timing nor the user agent catches them. Each email carries a link no person can see (the trap,
CampaignLink.is_trap); whoever follows it follows everything, so every click of that recipient within
TRAP_WINDOW_SECONDS of a trap hit, before or after it, is a machine's (a hidden honeypot link with a
+/- 10 s window removed about 90% of scanner clicks in Mautic's field reports, #9798).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from functools import lru_cache

from leads.request_facts import device_of

TRAP_WINDOW_SECONDS = 10  # a click this close to a trap hit of the same recipient is a scanner's

# The bare user agent of Apple's Mail Privacy Protection fetches.
MPP_USER_AGENT = "Mozilla/5.0"
# Apple's own block. Private Relay's egress ranges (mask-api.icloud.com/egress-ip-ranges.csv) are many
# thousands of ranges shared with Safari users browsing through Private Relay, so they are not listed here:
# the bare user agent is what tells an MPP fetch from a person in Safari.
MACHINE_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)
# Fragments of user agents that link scanners and prefetchers send (lower case).
SCANNER_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "symantec",
    "trendmicro",
    "forcepoint",
    "cisco",
    "ironport",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "curl/",
    "wget/",
    "okhttp",
    "headlesschrome",
)


@lru_cache(maxsize=4096)
def _network_is_machine(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in MACHINE_NETWORKS)


@lru_cache(maxsize=4096)
def _agent_is_machine(user_agent: str) -> bool:
    agent = user_agent.strip()
    if not agent or agent == MPP_USER_AGENT:
        return True
    lowered = agent.lower()
    if any(fragment in lowered for fragment in SCANNER_AGENTS):
        return True
    return device_of(agent)[0] == "bot"


def is_machine_open(user_agent: str, address: str = "") -> bool:
    """Whether an open (a fetch of the pixel) was a mail-privacy proxy's or a scanner's rather than a person's."""
    return _agent_is_machine(user_agent or "") or bool(address and _network_is_machine(address))


def is_machine_click_agent(user_agent: str) -> bool:
    """A click whose user agent alone gives a machine away (no agent, a library, a scanner's name). Most
    scanners pose as browsers: the trap link catches those (machine_clicks)."""
    return _agent_is_machine(user_agent or "")


def near_trap(moment: datetime, trap_hits: list[datetime], window: int = TRAP_WINDOW_SECONDS) -> bool:
    """Whether a click at `moment` is within `window` seconds (either side) of one of the recipient's trap hits."""
    reach = timedelta(seconds=window)
    return any(abs(moment - hit) <= reach for hit in trap_hits)
