"""Reports → Background work: are the workers alive, how long is the queue, what failed.

For administrators (and whoever holds "Can view worker heartbeat"): the task rows can name people's
records by id, and a failure's message can quote input."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.models import WorkerHeartbeat

PERMISSION = "core.view_workerheartbeat"
RECENT_FAILURES = 20
# Where each kind of accepted work can be seen, stuck or failed, by the URL names of its app's admin.
WORK_ELSEWHERE = [
    ("Emails (every email the product sends)", "outbox:index", "pending, being sent, failed; Send again"),
    ("CRM pushes", "leads_crm_delivery:index", "pending and gave-up pushes with every attempt"),
    ("Lead imports", "lead_imports:index", "running, stopped and failed imports; resume"),
    ("Sales exports", "sales_exports:index", "queued, running and failed exports; retry"),
    (
        "Leads",
        "leads_lead:index",
        "filter Processing: failed (retried 5 times by the workers, then `manage.py reprocess_leads`)",
    ),
]


def may_view(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(PERMISSION))


def _link(url_name: str) -> str:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


def background_work(request):
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if not may_view(request.user):
        raise PermissionDenied
    now = timezone.now()
    silent_after = timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)
    workers = [
        {"worker": worker, "alive": worker.last_seen_at >= now - silent_after, "silent_for": now - worker.last_seen_at}
        for worker in WorkerHeartbeat.objects.all()[:100]
    ]
    tasks = DBTaskResult.objects.all()
    ready = tasks.filter(status=TaskResultStatus.READY)
    waiting = ready.exclude(run_after__gt=now).exclude(run_after__year=9999)
    due_now = ready.filter(run_after__year=9999) | waiting
    oldest = due_now.aggregate(oldest=Min("enqueued_at"))["oldest"]
    counts = {row["status"]: row["n"] for row in tasks.values("status").annotate(n=Count("pk"))}
    failures = tasks.filter(status=TaskResultStatus.FAILED).order_by("-finished_at")[:RECENT_FAILURES]
    context = {
        "page_title": "Background work",
        "header_icon": "cogs",
        "workers": workers,
        "alive": sum(1 for row in workers if row["alive"]),
        "due": due_now.count(),
        "scheduled": ready.filter(run_after__gt=now).exclude(run_after__year=9999).count(),
        "running": counts.get(TaskResultStatus.RUNNING, 0),
        "failed_day": tasks.filter(status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(days=1)).count(),
        "oldest_waiting": now - oldest if oldest else None,
        "failures": [
            {
                "task": task.task_path.rsplit(".", 1)[-1],
                "module": task.task_path.rsplit(".", 1)[0],
                "finished_at": task.finished_at,
                "error": _last_line(task.traceback),
                "runs": len(task.worker_ids or []),
            }
            for task in failures
        ],
        "elsewhere": [(label, _link(url_name), what) for label, url_name, what in WORK_ELSEWHERE],
        "dead_after_minutes": settings.WORKER_DEAD_AFTER_SECONDS // 60,
    }
    return TemplateResponse(request, "core/background_work.html", context)


def _last_line(traceback: str) -> str:
    lines = [line for line in (traceback or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
