"""Where each role lands after logging in and on "/": where its work is.

- a teacher: their training (sessions, leave, enrolments; credits one click away),
  never a task inbox that is empty for them;
- whoever has tasks: the inbox tab that holds them (我的待办 first, else the
  queue to claim from: the bureau once landed on an empty 我的待办 while its
  queue held three);
- a city or province officer: the roll-ups of the districts below them;
- a principal with nothing to sign: the school's documents;
- a school officer with no task: the leave requests waiting on the school, else the
  school's documents (drafts are there, not in the inbox);
- anyone else: the inbox.

It lives in config because it looks at several apps (attendance, workflow, plans).
"""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse

from attendance.models import LeaveRequest, Teacher
from workflow import selectors


def landing_url(user) -> str:
    inbox = reverse("workflow:inbox")
    if user.is_teacher:
        if Teacher.objects.filter(user=user).exists():
            return reverse("attendance:me")
        return reverse("credits:my_credits")  # says the login is on no roster
    if selectors.task_count(user=user, tab="mine"):
        return inbox
    if selectors.task_count(user=user, tab="queue"):
        return f"{inbox}?tab=queue"
    if user.is_regional_officer:
        return reverse("oversight:index")  # the roll-ups of the districts below
    if user.role == user.Role.PRINCIPAL:
        return reverse("plans:list")
    if user.is_school_officer:
        if LeaveRequest.objects.filter(teacher__organisation_id=user.organisation_id,
                                       status=LeaveRequest.Status.PENDING).exists():
            return reverse("attendance:leave")
        return reverse("plans:list")
    return inbox


@login_required
def home(request):
    return redirect(landing_url(request.user))
