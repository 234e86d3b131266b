"""Benchmark of the page-view batch writer (leads.behaviour) on PostgreSQL (or any DATABASE_URL).

    .venv/bin/python bench/bench_behaviour.py [--views 1000000] [--people 10000] [--anonymous 0.5]
        [--redis redis://127.0.0.1:6379/15] [--database-url postgres://postgres@127.0.0.1:5432/bench_behaviour]

Buffers N page views (a share of them anonymous, the rest of P known people) the way serving pages
does, then times one flush that writes them all in batches of 5,000 and rescores the people they
concern. Prints views/s for buffering and for writing, and the row count.
The issue's bar: 1,000,000 buffered page views written in under 60 s on PostgreSQL.
"""

import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, setup_django  # noqa: E402


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--views", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--anonymous", type=float, default=0.5, help="share of views by anonymous visitors")
    parser.add_argument("--redis", default="", help="buffer in this Redis (a list is made and deleted)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_behaviour")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection

    from leads import behaviour, behaviour_buffer
    from leads.models import Interaction, Person, ScoringRule

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE leads_interaction, leads_person RESTART IDENTITY CASCADE")
    Person.objects.bulk_create(
        [Person(email=f"p{n}@bench.example", email_key=f"p{n}@bench.example") for n in range(args.people)],
        batch_size=5000,
    )
    ScoringRule.objects.get_or_create(
        name="Page view", kind="interest", interaction_type="page_view", defaults={"points": 2, "cap_points": 10}
    )
    person_ids = list(Person.objects.values_list("pk", flat=True))

    if args.redis:
        import redis

        buffer = behaviour.RedisBuffer(redis.Redis.from_url(args.redis))
        behaviour_buffer.REDIS_LIST = "signalpage:bench:page-views"
        buffer.client.delete(behaviour_buffer.REDIS_LIST)
    else:
        buffer = behaviour.LocalBuffer()
        buffer.items = __import__("collections").deque(maxlen=args.views + 1)

    rng = random.Random(7)
    paths = [f"/whitepapers/paper-{n}/" for n in range(200)] + ["/pricing/", "/", "/events/"]
    started = time.perf_counter()
    for n in range(args.views):
        known = rng.random() >= args.anonymous
        behaviour.page_view_buffer(
            visitor_id=f"v_bench{n % 50_000:017d}",
            person_id=rng.choice(person_ids) if known else None,
            page_id=n % 203,
            path=rng.choice(paths),
            title="A page",
            topics=("lead-scoring",),
            visit=1 + n % 7,
            buffer=buffer,
        )
    buffered = time.perf_counter() - started
    print(f"buffered   {args.views:>10,} views in {buffered:7.1f} s  ({args.views / buffered:,.0f}/s)")

    started = time.perf_counter()
    result = behaviour.page_views_flush(buffer=buffer)
    written = time.perf_counter() - started
    print(
        f"written    {result['written']:>10,} views in {written:7.1f} s  ({result['written'] / written:,.0f}/s)"
        f"  people rescored: {result['people']:,}"
    )
    print(f"rows       {Interaction.objects.count():>10,} page_view interactions")
    print(
        f"bar        1,000,000 in under 60 s: {'met' if written * 1_000_000 / max(args.views, 1) < 60 else 'NOT met'}"
        f" (scaled: {written * 1_000_000 / max(args.views, 1):.1f} s per million)"
    )


if __name__ == "__main__":
    main()
