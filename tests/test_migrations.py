"""Migrations are committed and reversible."""
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_project_migrations_reverse_and_reapply():
    apps = ["workflow", "plans", "accounts"]
    executor = MigrationExecutor(connection)
    leaves = [key for key in executor.loader.graph.leaf_nodes() if key[0] in apps]
    call_command("migrate", "workflow", "zero", verbosity=0)
    call_command("migrate", "plans", "zero", verbosity=0)
    tables = connection.introspection.table_names()
    assert not any(t.startswith(("plans_", "workflow_")) for t in tables)
    for app, name in leaves:
        call_command("migrate", app, name, verbosity=0)
    tables = connection.introspection.table_names()
    assert "plans_document" in tables and "workflow_trailentry" in tables
