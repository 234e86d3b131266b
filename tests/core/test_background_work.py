"""Reports → Background work: operators see whether workers are alive, the queue, and what failed."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core.workers import heartbeat

pytestmark = pytest.mark.django_db
URL = "/admin/reports/background-work/"


def failed_task(message: str):
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=TaskResultStatus.FAILED,
        args_kwargs={"args": [42], "kwargs": {}},
        task_path="leads.tasks.process_lead",
        backend_name="background",
        run_after=now,
        finished_at=now,
        worker_ids=["w1"],
        exception_class_path="builtins.RuntimeError",
        traceback=f"Traceback (most recent call last):\n  File x\nRuntimeError: {message}\n",
    )


def test_administrators_see_workers_queue_and_failures(admin_client):
    now = timezone.now()
    heartbeat("alive-worker-0001", backend="background", queues="*", tasks_run=12, now=now)
    heartbeat("silent-worker-002", backend="background", queues="*", now=now - timedelta(minutes=10))
    failed_task("enrichment service down")
    DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="outbox.tasks.deliver_email",
        backend_name="background",
        run_after=now.replace(year=9999),
    )

    html = admin_client.get(URL).content.decode()
    assert "1 of 2 alive" in html and "alive-worke" in html and "silent" in html
    assert 'data-fact="due">1<' in html and 'data-fact="failed">1<' in html
    assert "process_lead" in html and "RuntimeError: enrichment service down" in html
    assert "/admin/leads/crm-deliveries/" in html and "/admin/outbox/" in html  # where the work itself is


def test_without_workers_the_page_says_how_to_start_one(admin_client):
    assert "manage.py db_worker" in admin_client.get(URL).content.decode()


def test_people_without_the_right_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("mia", "mia@example.com", "pw-mia-123456")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    failed_task("jane.doe@example.com bounced")
    response = client.get(URL, follow=True)
    assert response.redirect_chain == [("/admin/", 302)], response.redirect_chain
    html = response.content.decode()
    assert "Sorry, you do not have permission to access this area." in html and "jane.doe" not in html
    assert "Background work" not in client.get("/admin/").content.decode()
