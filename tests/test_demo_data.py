import pytest
from django.core.management import call_command

from accounts.models import User
from plans.models import Document

pytestmark = pytest.mark.django_db


def test_demo_district_has_every_state_and_the_seed_plan():
    call_command("load_demo", verbosity=0)
    statuses = set(Document.objects.values_list("status", flat=True))
    assert statuses == set(Document.Status.values)
    annual = Document.objects.get(kind="annual_plan", year=2024)
    assert annual.title == "建安区2024年教师培训工作计划"
    assert annual.annual_plan.projects.count() == 14
    assert annual.filing_number
    assert set(User.objects.exclude(role="").values_list("role", flat=True)) == set(User.Role.values)
    # A second run changes nothing.
    count = Document.objects.count()
    call_command("load_demo", verbosity=0)
    assert Document.objects.count() == count
