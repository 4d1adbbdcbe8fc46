"""The app's Huey: a SQLite file in the instance folder by default, Redis with QUEUE_URL=redis://…, or Huey's
immediate mode (QUEUE_URL=immediate: a task runs at once, where it is enqueued; for tests of pages only).

Tasks are defined per app (`define`), so the web process that enqueues and the consumer (`flask run-queue`)
that runs them build the same queue from the same configuration."""
import logging
import os
from collections.abc import Callable

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from redis import ConnectionPool

log = logging.getLogger(__name__)
NAME = "reciprocate"
QUEUE_FILE = "queue.db"
RETRY_AFTER_SECONDS = 30  # what a 503 tells a client while the queue cannot be reached


def make_queue(url: str | None, instance_path: str) -> Huey:
    """Build the Huey that QUEUE_URL names (unset: SqliteHuey on instance/queue.db)."""
    url = (url or "").strip()
    if url == "immediate":
        return MemoryHuey(NAME, immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Short timeouts: a Redis that is away must answer a request's check quickly, not hang it.
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return RedisHuey(NAME, connection_pool=pool)
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else os.path.join(instance_path, QUEUE_FILE)
    return SqliteHuey(NAME, filename=path, timeout=5)


def init_app(app: Flask) -> None:
    """Give the app its queue and an empty table of tasks."""
    app.extensions["huey"] = make_queue(app.config.get("QUEUE_URL"), app.instance_path)
    app.extensions["queue_tasks"] = {}


def queue_of(app: Flask | None = None) -> Huey:
    """Return the app's Huey (the current app's by default)."""
    return (app or current_app).extensions["huey"]


def define(app: Flask, name: str, work: Callable, every_minute: bool = False):
    """Make `work` a task of the app's queue named `name` (a periodic one, run each minute, if asked); it runs
    inside an app context of `app`."""
    huey = queue_of(app)

    def run(*args):
        with app.app_context():
            return work(*args)

    run.__name__ = run.__qualname__ = name
    run.__module__ = "reciprocate.tasks"
    task = huey.periodic_task(crontab(), name=name)(run) if every_minute else huey.task(name=name)(run)
    app.extensions["queue_tasks"][name] = task
    return task


def task_named(name: str, app: Flask | None = None):
    """Return the app's task called `name`."""
    return (app or current_app).extensions["queue_tasks"][name]


def reachable(app: Flask | None = None) -> bool:
    """Tell whether the queue answers now (a Redis that is down, a queue file that cannot be opened: False)."""
    try:
        queue_of(app).storage.queue_size()
    except Exception as error:  # any failure of the store means the same: work cannot be queued now
        log.warning("the job queue cannot be reached: %s", error)
        return False
    return True
