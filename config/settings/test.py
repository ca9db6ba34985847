import os

from .base import *  # noqa: F401,F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inside enqueue(), so a page that starts a job answers with it done; the tests of
# the worker itself (tests/test_jobs__worker.py) switch to the database queue.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
if os.environ.get("TASKS_BACKEND") == "database":  # a worker process started by those tests
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# A file, not Django's shared in-memory database, so that the concurrency
# tests' threads meet SQLite's real locking (IMMEDIATE transactions).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # One per run (pid), so two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": f"/tmp/trainingplans-test-{os.getpid()}.sqlite3"}  # noqa: F405
    # No WAL here: Django deletes the test database file between runs, and a
    # stale -wal/-shm pair left beside it breaks the next run.
    DATABASES["default"]["OPTIONS"].pop("init_command", None)  # noqa: F405
