"""A partial index for the review queues: unclaimed tasks by organisation and permission.

viewflow's own indexes start from status, so a queue query read every open
task in the province before keeping its organisation's (bench/bench_scale.py).
Works on PostgreSQL and SQLite alike.
"""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0003_inbox_power_features"),
        ("viewflow", "0015_task_scheduled"),  # the viewflow_task table as it is now
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX workflow_queue_task_idx ON viewflow_task "
                "(owner_permission_obj_pk, owner_permission) WHERE status = 'NEW'",
            reverse_sql="DROP INDEX workflow_queue_task_idx",
        ),
    ]
