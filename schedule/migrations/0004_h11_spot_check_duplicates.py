"""Hand-written (kept on merge): before one draw a year was enforced, a year
could be drawn several times. Cancel all but the first draw of each district
and year, with a reason saying so, so that the constraint of the next
migration holds on existing data. Nothing is deleted."""
from django.db import migrations

REASON = "同一年度重复抽查（“每年一次抽签”规则启用前产生），系统自动作废，保留首次抽签。"


def cancel_duplicates(apps, schema_editor):
    SpotCheck = apps.get_model("schedule", "SpotCheck")
    seen = set()
    for check in SpotCheck.objects.filter(cancelled_at__isnull=True).order_by("created_at", "pk"):
        key = (check.district_id, check.year)
        if key in seen:
            check.cancelled_at, check.cancel_reason = check.created_at, REASON
            check.save(update_fields=["cancelled_at", "cancel_reason"])
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [("schedule", "0003_h11_spot_check_cancel")]
    operations = [migrations.RunPython(cancel_duplicates, migrations.RunPython.noop)]
