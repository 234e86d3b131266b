"""A task that holds its worker until the test lets it go (a file appears), for killing a worker mid-task.

Only the worker-process tests queue it; it lives in tests/ so the product never ships it."""

import time
from pathlib import Path

from django_tasks import task


@task(backend="background")
def hold_until(release_file: str, done_file: str):
    deadline = time.monotonic() + 120
    while not Path(release_file).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    Path(done_file).write_text("done")
    return "released"
