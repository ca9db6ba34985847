"""金水区's credits on the Shaanxi route (issue #15, demo/data/recognition.toml): a few
teachers, their school-based year and a city project, written provisional; one school's
year already confirmed by the county, so the city officer (shi_zhengzhou) has a task."""
import datetime
from decimal import Decimal

from accounts.models import Organisation
from attendance.models import Teacher
from credits import recognition
from credits.models import CreditEntry
from credits.services import ledger_add
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS


def create_recognition(spec, users: dict, id_number) -> None:
    serial = 0
    teachers = {}
    for school, rows in spec["rosters"].items():
        organisation = Organisation.objects.get(name=school)
        for row in rows:
            serial += 1
            teachers[row["name"]] = Teacher.objects.create(
                organisation=organisation, name=row["name"], gender=row["gender"], birth_date=row["birth_date"],
                id_number=id_number(spec["id_area_code"], serial, row["gender"], row["birth_date"]),
                stage=organisation.stage, subject=row["subject"], title=row["title"])
    for year in spec["school_based"]:
        entries = _write(teachers, year, activity="school_based", level="school",
                         source=CreditEntry.Source.SCHOOL_BASED)
        for batch in recognition.recognition_open(entries, title=year["title"]):
            if year.get("confirmed_by_county"):
                task = Task.objects.get(process__recognitionprocess__batch=batch, status=STATUS.NEW,
                                        flow_task_type="HUMAN")
                recognition.recognition_decide_as(task=task, user=users[year["confirmed_by_county"]],
                                                  decision="approve", comment="经核实，学时记录完整，同意上报市级审核。")
    for project in spec["projects"]:
        entries = _write(teachers, project, activity="concentrated", level=project["level"],
                         source=CreditEntry.Source.PROJECT)
        recognition.recognition_open(entries, title=project["title"])


def _write(teachers, spec, *, activity, level, source) -> list[CreditEntry]:
    day = spec["date"] if isinstance(spec["date"], datetime.date) else datetime.date.fromisoformat(spec["date"])
    entries = []
    for name, hours in spec["hours"].items():
        entries += ledger_add(teacher=teachers[name], activity=activity, level=level, hours=Decimal(hours),
                              occurred_on=day, description=spec["title"], source=source)
    return entries
