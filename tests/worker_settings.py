"""Settings of the worker processes started by tests/test_jobs__worker.py: the test settings
on the database queue, the test database named by SQLITE_PATH or DATABASE_URL, and quick
renderings (tests/fast_print)."""
import os

os.environ["TASKS_BACKEND"] = "database"

from config.settings.test import *  # noqa: E402,F401,F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.fast_print"]  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"jobs": {"handlers": ["console"], "level": "INFO"}},
}
