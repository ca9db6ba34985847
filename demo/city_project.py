"""A project of 许昌市 through the same services as the pages (issue #15): the city's training
centre writes and submits it, the city's bureau approves it to an expert of the city's shared pool
and files it; the centre gives 建安区 and 魏都区 places, each district's bureau shares them among its
schools, and one school nominates a teacher (demo/data/city_project.toml)."""
from accounts.models import District, Organisation
from attendance import quotas
from attendance import services as attendance
from plans.models import Document
from plans.services import document_create
from schedule.models import ScheduledProject
from workflow import services as review
from workflow.models import Decision
from workflow.selectors import task_inbox, task_queue
from workflow.submission import document_submit

CONTENT = ["organiser", "target_group", "stage", "subject", "headcount", "modes", "start_month", "end_month",
           "location", "hours", "content_modules", "budget", "design"]


def _task(document, user):
    for tasks in (task_inbox(user=user), task_queue(user=user)):
        task = tasks.filter(process__reviewprocess__document=document).first()
        if task:
            return task
    raise LookupError(f"{user.username} 没有《{document.title}》的待办任务")


def create_city_project(spec, users, teachers, year: int) -> ScheduledProject:
    author, reviewer, expert = users[spec["author"]], users[spec["reviewer"]], users[spec["expert"]]
    document = document_create(kind=Document.Kind.PROJECT_PROPOSAL, user=author, year=year, title=spec["title"],
                               content={field: spec[field] for field in CONTENT})
    document_submit(document=document, user=author)
    review.task_perform(task=_task(document, reviewer), user=reviewer, decide=review.initial_review_decide,
                        decision=Decision.APPROVE, experts=[expert], comment="同意提交市级专家会审。")
    review.task_perform(task=_task(document, expert), user=expert, decide=review.expert_review_give,
                        opinion=Decision.AGREE, score=90, comment="目标明确，课程设置合理，同意实施。")
    review.task_perform(task=_task(document, reviewer), user=reviewer, decide=review.filing_decide,
                        decision=Decision.APPROVE, filing_number=review.filing_number_suggest(document=document),
                        comment="同意备案。")
    project = ScheduledProject.objects.get(source=document)
    districts = {d.name: d.pk for d in District.objects.filter(name__in=list(spec["places"]))}
    quotas.district_quotas_set(project=project, user=author,
                               places={districts[name]: places for name, places in spec["places"].items()})
    for share in spec["shares"]:
        bureau = users[share["bureau"]]
        schools = dict(Organisation.objects.filter(district_id=bureau.district_id, name__in=list(share["schools"]))
                       .values_list("name", "pk"))
        quotas.school_quotas_set(project=project, user=bureau,
                                 places={schools[name]: places for name, places in share["schools"].items()})
    for nomination in spec["nominations"]:
        attendance.enrolment_nominate(project=project, teacher=teachers[nomination["teacher"]],
                                      user=users[nomination["officer"]])
    return project
