"""Benchmark of identification joining a visitor's anonymous history (leads.services.visitor_history).

    .venv/bin/python bench/bench_identify.py [--views 1000] [--repeat 7] [--background 2000000]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_identify]

The issue's bar: identification that joins 1,000 anonymous page views to a person is under 1 s.

Builds --background anonymous page views of other visitors (the table a real join searches) once,
then, --repeat times, gives a fresh visitor --views anonymous page views spread over 30 days and times
the two identifications end to end:
  form fill     a captured lead carrying the visitor id, processed as the worker does (lead_process:
                cleaning, identity, the visitor link and the join, recording, scoring, stage rules,
                routing, CRM push queued);
  tracked link  the background half of a tracked link (visitor_history_join_now: flush the buffer,
                join, rescore, stage rules).
Prints the median and the slowest of each, with the rows joined.
"""

import json
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, setup_django  # noqa: E402


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--views", type=int, default=1000, help="anonymous views of the visitor identified")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--background", type=int, default=2_000_000, help="other visitors' anonymous views")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_identify")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection
    from django.utils import timezone

    from leads.models import Interaction, Lead, Person, ScoringRule
    from leads.services import lead_process
    from leads.services.visitor_history import visitor_history_join_now

    ScoringRule.objects.get_or_create(
        name="Page view", kind="interest", interaction_type="page_view", defaults={"points": 2, "cap_points": 30}
    )
    have = Interaction.objects.filter(visitor_id__startswith="v_bg").count()
    if have < args.background and connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO leads_interaction (type, occurred_at, visitor_id, object_type, object_id, object_label,
                                               object_topics, properties)
                SELECT 'page_view', now() - (n %% 86400) * interval '1 minute',
                       'v_bg' || lpad((n %% 200000)::text, 20, '0'),
                       'page', 'paper-' || (n %% 200), 'A page', ',lead-scoring,', '{"path": "/x/", "visit": 1}'::jsonb
                FROM generate_series(%s, %s) AS n
                """,
                [have, args.background - 1],
            )
            cursor.execute("ANALYZE leads_interaction")
        print(f"background {args.background - have:,} anonymous views built in {time.perf_counter() - started:.1f} s")

    timings = {"form fill": [], "tracked link": []}
    joined = {"form fill": [], "tracked link": []}
    now = timezone.now()
    for _ in range(args.repeat):
        for how in timings:
            visitor = "v_" + uuid.uuid4().hex[:24]
            Interaction.objects.bulk_create(
                [
                    Interaction(
                        type="page_view",
                        visitor_id=visitor,
                        occurred_at=now - timedelta(minutes=43 * n % (30 * 24 * 60)),
                        object_type="page",
                        object_id="pricing" if n % 10 == 0 else f"paper-{n % 50}",
                        object_label="A page",
                        properties={"path": "/pricing/", "visit": 1 + n // 20},
                    )
                    for n in range(args.views)
                ],
                batch_size=5000,
            )
            email = f"reader-{uuid.uuid4().hex[:10]}@bench-identify.example"
            started = time.perf_counter()
            if how == "form fill":
                lead = Lead.objects.create(
                    source="form",
                    raw_payload=json.dumps({"email": email}),
                    mapped_fields=json.dumps({"email": email, "first_name": "Ada", "company": "Northwind"}),
                    visitor_id=visitor,
                    received_at=timezone.now(),
                )
                lead_process(lead)
                person = Lead.objects.get(pk=lead.pk).person
            else:
                person = Person.objects.create(email=email, email_key=email)
                visitor_history_join_now(person_id=person.pk, visitor_id=visitor, at=timezone.now())
            timings[how].append(time.perf_counter() - started)
            joined[how].append(Interaction.objects.filter(person=person, type="page_view").count())
    for how, values in timings.items():
        print(
            f"{how:<13} {args.views:,} views: median {statistics.median(values) * 1000:7.1f} ms, "
            f"slowest {max(values) * 1000:7.1f} ms over {len(values)} runs; joined {min(joined[how]):,}-"
            f"{max(joined[how]):,} (bar: under 1 s: {'met' if max(values) < 1 else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
