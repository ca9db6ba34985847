"""Who may see which teachers, sessions and attendance reports (accounts.permissions),
registered in AttendanceConfig.ready(). A school sees only its own teachers and
attendance; the training school and the bureau see their district's.

* attendance.view_teacher (a teacher's attendance; credits.view_teacher reuses
  it for their credits): the teacher (Teacher.user), their school's officer and
  principal, and district staff of their district;
* attendance.view_session: its organiser (the organisation running it), and
  district staff of its district;
* attendance.view_project_report (a ScheduledProject): its organiser, and
  district staff of its district;
* attendance.view_school_report (an Organisation): its officer and principal,
  and district staff of its district.
"""
from django.db.models import Q, QuerySet

from accounts import permissions
from accounts.models import Organisation, User
from schedule.models import ScheduledProject

from .models import Session, Teacher
from .services import is_organiser, is_session_organiser


def teacher_may_view(user: User, teacher: Teacher) -> bool:
    if teacher.user_id is not None and teacher.user_id == user.pk:
        return True
    return user.is_staff_of(teacher.organisation_id) or user.is_district_reviewer_of(teacher.organisation.district_id)


def teacher_list_visible(*, user: User) -> QuerySet[Teacher]:
    teachers = Teacher.objects.all()
    if user.is_superuser:
        return teachers
    scope = Q(user_id=user.pk)
    if user.is_school_staff:
        scope |= Q(organisation_id=user.organisation_id)
    elif user.is_district_reviewer:
        scope |= Q(organisation__district_id=user.district_id)
    return teachers.filter(scope)


def session_may_view(user: User, session: Session) -> bool:
    return is_session_organiser(user, session) or user.is_district_reviewer_of(session.organisation.district_id)


def session_list_visible(*, user: User) -> QuerySet[Session]:
    sessions = Session.objects.all()
    if user.is_superuser:
        return sessions
    scope = Q(pk__in=[])
    if user.writes_documents:  # as is_session_organiser
        scope |= Q(organisation_id=user.organisation_id)
    if user.is_district_reviewer:
        scope |= Q(organisation__district_id=user.district_id)
    return sessions.filter(scope)


def project_report_may_view(user: User, project: ScheduledProject) -> bool:
    return is_organiser(user, project) or user.is_district_reviewer_of(project.district_id)


def project_report_list_visible(*, user: User) -> QuerySet[ScheduledProject]:
    projects = ScheduledProject.objects.all()
    if user.is_superuser:
        return projects
    scope = Q(pk__in=[])
    if user.writes_documents:  # as is_organiser
        scope |= Q(organiser_id=user.organisation_id)
    if user.is_district_reviewer:
        scope |= Q(district_id=user.district_id)
    return projects.filter(scope)


def school_report_may_view(user: User, organisation: Organisation) -> bool:
    return user.is_staff_of(organisation.pk) or user.is_district_reviewer_of(organisation.district_id)


def school_report_list_visible(*, user: User) -> QuerySet[Organisation]:
    organisations = Organisation.objects.all()
    if user.is_superuser:
        return organisations
    if user.is_school_staff:
        return organisations.filter(pk=user.organisation_id)
    if user.is_district_reviewer:
        return organisations.filter(district_id=user.district_id)
    return organisations.none()


def register_all() -> None:
    permissions.register("attendance.view_teacher", model=Teacher, may=teacher_may_view,
                         visible=teacher_list_visible)
    permissions.register("attendance.view_session", model=Session, may=session_may_view,
                         visible=session_list_visible)
    permissions.register("attendance.view_project_report", model=ScheduledProject,
                         may=project_report_may_view, visible=project_report_list_visible)
    permissions.register("attendance.view_school_report", model=Organisation,
                         may=school_report_may_view, visible=school_report_list_visible)
