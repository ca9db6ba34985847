"""Migrations are committed and reversible."""
import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_project_migrations_reverse_and_reapply():
    call_command("migrate", "workflow", "zero", verbosity=0)
    call_command("migrate", "schedule", "zero", verbosity=0)
    call_command("migrate", "plans", "zero", verbosity=0)
    tables = connection.introspection.table_names()
    assert not any(t.startswith(("plans_", "workflow_", "schedule_", "printing_")) for t in tables)
    call_command("migrate", verbosity=0)
    tables = connection.introspection.table_names()
    assert {"plans_document", "workflow_trailentry", "schedule_scheduledproject",
            "printing_storedrendering"} <= set(tables)
