"""Benchmark of campaign email tracking in process: the open pixel and the click redirect (issue 17).

    .venv/bin/python bench/bench_campaign_tracking.py [--calls 2000] [--keep]
    options: --database-url postgres://postgres@127.0.0.1:5432/signalpage_bench_tracking
             (created if missing, migrated; dropped at the end unless --keep)
             --redis: buffer through Redis (REDIS_URL must be set), else the in-process buffer

Each request goes through Django's test client, the whole middleware stack included (the request edge,
CSP, sessions, personalisation), as a mail client's fetch would, but without a web server. Prints p50
and p95 of `--calls` pixel fetches and as many clicks (a link to another site, a link to our own site
that carries ?sp_t=), the queries each made (the pixel: none; the click: one read of the link) and the
rows written on the request path (none: they are buffered). Then times the batch writer over what was
buffered. Target: p50 under 5 ms for both.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import drop_postgres_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/signalpage_bench_tracking"
TARGET_MS = 5.0
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(client, urls, expect):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != expect:
            sys.exit(f"{url}: {response.status_code}, expected {expect}")
        queries += len(captured.captured_queries)
    return times, queries / len(urls)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.calls < 10:
        parser.error("--calls must be at least 10")
    setup_django(args.database_url)
    try:
        run(args.calls)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_postgres_database(args.database_url)


def run(calls: int):
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from campaigns import tracking_buffer
    from campaigns.models import Campaign, CampaignLink, CampaignRecipient, RecipientActivity
    from campaigns.signing import recipient_token
    from campaigns.tracking_writer import tracking_flush
    from leads.models import Person

    person, _ = Person.objects.get_or_create(
        email="reader@bench.example", defaults={"email_key": "reader@bench.example"}
    )
    campaign = Campaign.objects.create(name="Bench tracking", subject="Hello")
    CampaignLink.objects.create(campaign=campaign, position=1, url="https://partner.example/offer")
    CampaignLink.objects.create(campaign=campaign, position=2, url=settings.SITE_BASE_URL.rstrip("/") + "/report/")
    CampaignLink.objects.create(campaign=campaign, position=3, url="https://example.com/trap", is_trap=True)
    recipient = CampaignRecipient.objects.create(
        campaign=campaign, person=person, email=person.email, status="sent", sent_at=timezone.now()
    )
    rows_before = RecipientActivity.objects.count()
    client = Client(HTTP_USER_AGENT=AGENT, HTTP_HOST="localhost")
    pixel = f"/email/o/{recipient_token(recipient.pk, 'open')}/"
    other = f"/email/c/{recipient_token(f'{recipient.pk}-1', 'click')}/"
    ours = f"/email/c/{recipient_token(f'{recipient.pk}-2', 'click')}/"
    for url, expect in ((pixel, 200), (other, 302), (ours, 302)):  # warm: imports, URL resolver, caches
        timed(client, [url] * 50, expect)

    print(
        f"campaign tracking in process, {calls} calls each ({'Redis' if settings.REDIS_URL else 'in-process'} buffer)"
    )
    verdicts = []
    for name, url, expect in (
        ("open pixel", pixel, 200),
        ("click, other site", other, 302),
        ("click, our site", ours, 302),
    ):
        times, queries = timed(client, [url] * calls, expect)
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        verdicts.append(p50 < TARGET_MS)
        print(f"  {name:<18} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   queries/request {queries:.1f}")
    written_on_request_path = RecipientActivity.objects.count() - rows_before
    print(f"  rows written while answering: {written_on_request_path}")
    tracking_buffer.relay_drain()  # with Redis: what the relay thread has not pushed yet
    buffered = len(tracking_buffer.tracking_buffer_in_use())
    started = time.perf_counter()
    result = tracking_flush(now=timezone.now() + timezone.timedelta(minutes=1))
    elapsed = time.perf_counter() - started
    print(f"  batch writer: {result['written']} of {buffered} buffered written in {elapsed:.2f} s")
    print(f"target p50 < {TARGET_MS} ms: {'met' if all(verdicts) else 'NOT met'}")


if __name__ == "__main__":
    main()
