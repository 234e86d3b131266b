"""Build the peer site: migrate, a plain page and a personalised page with a variant page per segment.

    PYTHONPATH=../.data/peerlib:. ../../.venv/bin/python peer_build.py [segments, default 5]

The segments mirror bench_personalization.py's first kinds: a UTM campaign each (camp-N), with a mobile
device, a visit count, "or logged in" as the second rule of some. Persistent: the campaign's segment stays
in the visitor's session, as our stored last campaign does."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
django.setup()
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)
from peerapp.models import PeerPage, PlainPage  # noqa: E402
from wagtail.models import Page, Site  # noqa: E402
from wagtail_personalisation.models import Segment  # noqa: E402
from wagtail_personalisation.rules import DeviceRule, QueryRule, UserIsLoggedInRule, VisitCountRule  # noqa: E402

count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
root = Page.get_first_root_node()
home = root.get_children().first()
Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "127.0.0.1", "port": 80, "root_page": home})
for model in (PlainPage, PeerPage):
    for page in model.objects.all():
        page.delete()
Segment.objects.all().delete()
body = "Teams in every industry use it to see what changed and why, without a spreadsheet."
plain = home.add_child(instance=PlainPage(title="Peer plain", slug="peer-plain", body=body))
plain.save_revision().publish()
page = home.add_child(instance=PeerPage(title="Peer personalised", slug="peer-personalised", body=body))
page.save_revision().publish()
metadata = page.personalisation_metadata
for n in range(count):
    kind = n % 5
    segment = Segment.objects.create(name=f"Peer segment {n}", persistent=True, match_any=kind == 3)
    QueryRule.objects.create(segment=segment, parameter="utm_campaign", value=f"camp-{n}")
    if kind == 1:
        DeviceRule.objects.create(segment=segment, mobile=True)
    elif kind == 2:
        VisitCountRule.objects.create(segment=segment, counted_page=page, operator="more_than", count=0)
    elif kind == 3:
        UserIsLoggedInRule.objects.create(segment=segment, is_logged_in=True)
    variant = metadata.copy_for_segment(segment).specific
    variant.headline = f"Variant for segment {n}"
    variant.save_revision().publish()
print(f"peer: {count} segments, pages {plain.url} and {page.url}")
