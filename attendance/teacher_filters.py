"""The subject (学科) and stage (学段) filters of the lists of teachers: the
nomination picker on a project's page and the school's roster. Read from the
query string through core.params: a value the filter does not offer is a 400."""
from accounts.models import Organisation
from core.choices import Subject
from core.params import parse_choice

STAGES = [choice for choice in Organisation.Stage.choices if choice[0]]
SUBJECTS = Subject.choices


def teacher_filters(params) -> dict:
    return {"subject": parse_choice(params.get("subject"), SUBJECTS),
            "stage": parse_choice(params.get("stage"), STAGES)}


def teachers_filtered(teachers, *, subject="", stage=""):
    if subject:
        teachers = teachers.filter(subject=subject)
    if stage:
        teachers = teachers.filter(stage=stage)
    return teachers


def filter_context(filters: dict) -> dict:
    """What templates/attendance/_teacher_filters.html shows."""
    return {"filters": filters, "filter_subjects": SUBJECTS, "filter_stages": STAGES,
            "filtered": any(filters.values())}
