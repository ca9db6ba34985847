"""Load the demo district (建安区) and walk its documents through review (demo/scenario.py).

    manage.py load_demo           # does nothing if 建安区 already exists
    manage.py load_demo --reset   # FLUSHES THE WHOLE DATABASE, then loads
    manage.py load_demo --today 2027-03-01   # the demo built around another day (default: today)
"""
import datetime

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import District
from demo import scenario, summary


class Command(BaseCommand):
    help = ("载入建安区演示数据（学校、账号、计划与项目书，覆盖审核流程的每个状态，以及培训日程、"
            "教师花名册、报名与考勤、学分）。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true",
            help="先清空整个数据库（flush，非仅演示数据），再重新载入。",
        )
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None,
            help="以该日期（YYYY-MM-DD）为“今天”生成演示数据（默认：今天）。",
        )

    def handle(self, *args, reset=False, today=None, **options):
        name = scenario.district_name()
        with transaction.atomic():
            if reset:
                self.stdout.write(self.style.WARNING("清空数据库（flush）……"))
                call_command("flush", interactive=False, verbosity=0)
            elif District.objects.filter(name=name).exists():
                self.stdout.write(f"{name}演示数据已存在（already loaded），未做任何更改；如需重建请加 --reset。")
                return
            try:
                scenario.build(today=today)
            except scenario.DemoError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"{name}演示数据已载入。"))
        for line in summary.lines(district=name, usernames=scenario.usernames(), password=scenario.password()):
            self.stdout.write(line)
