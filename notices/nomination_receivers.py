"""Notices of nominations (attendance.nomination_signals): the teacher hears of
being nominated; the teacher and the school's training officers hear of every
decision on it (confirmed, waiting list, refused, withdrawn, replaced).
Connected in NoticesConfig.ready(); attendance knows nothing of notices."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from attendance import nomination_signals as events
from attendance.models import Enrolment

from .models import Notice
from .services import district_text, notify

TITLE_NOMINATED = _("%(school)s nominated you for the project “%(project)s”; the organiser will confirm.")
TITLE_CONFIRMED = _("%(name)s has a place on the project “%(project)s”: the organiser confirmed the nomination.")
TITLE_WAITLISTED = _("%(name)s is on the waiting list of the project “%(project)s”: its places are taken.")
TITLE_DECLINED = _("The organiser did not accept the nomination of %(name)s for the project “%(project)s”.")
TITLE_WITHDRAWN = _("The nomination of %(name)s for the project “%(project)s” was withdrawn.")
TITLE_REPLACED = _("%(school)s nominated %(new)s in place of %(name)s for the project “%(project)s”.")

TITLES = {events.CONFIRMED: TITLE_CONFIRMED, events.WAITLISTED: TITLE_WAITLISTED,
          events.DECLINED: TITLE_DECLINED, events.WITHDRAWN: TITLE_WITHDRAWN}


def connect():
    events.nomination_changed.connect(nomination_changed, sender=Enrolment,
                                      dispatch_uid="notices.nomination_changed")


def school_officers(organisation_id) -> list[User]:
    return list(User.objects.filter(organisation_id=organisation_id, role=User.Role.SCHOOL_OFFICER, is_active=True))


def nomination_changed(sender, enrolment, event, user, replacement=None, **kwargs):
    teacher, project = enrolment.teacher, enrolment.project
    school = teacher.organisation
    # The teacher reads their training page; the school its project page (with the enrolment list).
    teacher_url = reverse("attendance:me")
    school_url = reverse("attendance:project", args=[project.pk])
    names = {"project": project.name, "name": teacher.name, "school": school.name}

    def tell(users, message, url, **extra):
        recipients = [u for u in users if u is not None and u.pk != user.pk]  # not the one who acted
        notify(users=recipients, kind=Notice.Kind.NOMINATION, title=district_text(message, **names, **extra), url=url)

    if event == events.NOMINATED:
        tell([teacher.user], TITLE_NOMINATED, teacher_url)
    elif event == events.REPLACED:
        new = replacement.teacher
        tell([teacher.user], TITLE_WITHDRAWN, teacher_url)
        tell([new.user], TITLE_NOMINATED, teacher_url)
        tell(school_officers(school.pk), TITLE_REPLACED, school_url, new=new.name)
    elif event in TITLES:
        tell([teacher.user], TITLES[event], teacher_url)
        tell(school_officers(school.pk), TITLES[event], school_url)
