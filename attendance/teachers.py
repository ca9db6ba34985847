"""One teacher at a time on a school's roster, and their logins (the school's training officer).

* add and edit (gender and birth date follow from the ID number, as in the xlsx import);
* 离岗 (leaves the post): off the school's active lists (nominations, roll calls, credit lists),
  while attendance, credits and declarations stay with the row; 返岗 undoes it;
* transfer to another school of the district: the row moves, so everything that references the
  teacher (attendance, credits, enrolments, declarations) follows; their login moves too;
* logins for teachers in bulk: a user per chosen teacher, with a first password printed once and
  changed at the first login (accounts.middleware).

Every change is told to the audit trail through accounts.signals.people_changed.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.services import SCHOOL_KINDS, first_password, is_school_manager, user_create
from accounts.signals import PeopleAction, people_change

from . import idcard
from .models import Enrolment, LeaveRequest, Teacher

TEACHER_FIELDS = ["name", "id_number", "stage", "subject", "title", "is_new_teacher"]
# Hashing a password costs ~0.5 s (PBKDF2); a sheet of 30 keeps one request well under a minute.
LOGINS_PER_SHEET = 30
USERNAME_PREFIX = "js"  # 教师: js000123, from the roster row's number (no names, no ID numbers)


def _check_school(actor, teacher_or_school):
    school_id = teacher_or_school.organisation_id if isinstance(teacher_or_school, Teacher) else teacher_or_school.pk
    if not is_school_manager(actor) or actor.organisation_id != school_id:
        raise PermissionDenied


def _locked(teacher: Teacher) -> Teacher:
    return Teacher.objects.select_for_update(of=("self",)).select_related("organisation", "user").get(pk=teacher.pk)


def teacher_add(*, actor: User, school: Organisation, **values) -> Teacher:
    _check_school(actor, school)
    id_number = values["id_number"]
    teacher = Teacher(organisation=school, gender=idcard.gender(id_number), birth_date=idcard.birth_date(id_number),
                      **{name: values[name] for name in TEACHER_FIELDS if name in values})
    with transaction.atomic():
        teacher.full_clean()
        teacher.save()
        people_change(PeopleAction.TEACHER_CREATED, teacher, actor=actor)
    return teacher


def teacher_update(*, actor: User, teacher: Teacher, **values) -> list[str]:
    """The roster fields; the login's name follows the roster's."""
    _check_school(actor, teacher)
    with transaction.atomic():
        teacher = _locked(teacher)
        _check_school(actor, teacher)  # not transferred meanwhile
        changed = [name for name in TEACHER_FIELDS if name in values and getattr(teacher, name) != values[name]]
        if not changed:
            return []
        for name in changed:
            setattr(teacher, name, values[name])
        update = list(changed)
        if "id_number" in changed:
            teacher.gender, teacher.birth_date = idcard.gender(teacher.id_number), idcard.birth_date(teacher.id_number)
            update += ["gender", "birth_date"]
        teacher.full_clean()
        teacher.save(update_fields=update)
        if "name" in changed and teacher.user_id and teacher.user.full_name != teacher.name:
            teacher.user.full_name = teacher.name
            teacher.user.save(update_fields=["full_name"])
        people_change(PeopleAction.TEACHER_CHANGED, teacher, actor=actor, fields=changed)
    return changed


def teacher_leave(*, actor: User, teacher: Teacher, left_on, reason: str = "") -> Teacher:
    """离岗: off the active lists from now on; the history stays. The login stays too, so the
    teacher can still read and print their own record."""
    _check_school(actor, teacher)
    with transaction.atomic():
        teacher = _locked(teacher)
        _check_school(actor, teacher)
        if not teacher.active:
            raise ValidationError(_("%(name)s has already left the post.") % {"name": teacher.name})
        teacher.active, teacher.left_on, teacher.left_reason = False, left_on, reason
        teacher.full_clean()
        teacher.save(update_fields=["active", "left_on", "left_reason"])
        people_change(PeopleAction.TEACHER_LEFT, teacher, actor=actor, left_on=left_on.isoformat(), reason=reason)
    return teacher


def teacher_reinstate(*, actor: User, teacher: Teacher) -> Teacher:
    """返岗: back on the active lists."""
    _check_school(actor, teacher)
    with transaction.atomic():
        teacher = _locked(teacher)
        _check_school(actor, teacher)
        if teacher.active:
            raise ValidationError(_("%(name)s is in post.") % {"name": teacher.name})
        teacher.active, teacher.left_on, teacher.left_reason = True, None, ""
        teacher.save(update_fields=["active", "left_on", "left_reason"])
        people_change(PeopleAction.TEACHER_REINSTATED, teacher, actor=actor)
    return teacher


def transfer_targets(school: Organisation):
    """The district's other schools and kindergartens."""
    return Organisation.objects.filter(district_id=school.district_id, kind__in=SCHOOL_KINDS) \
        .exclude(pk=school.pk).order_by("kind", "name")


def pending_at_school(teacher: Teacher) -> list[str]:
    """What the teacher's present school still has to decide: it could not after a transfer,
    and the new school did not start it."""
    waiting = []
    applied = teacher.enrolments.filter(status=Enrolment.Status.APPLIED).count()
    if applied:
        waiting.append(_("%(count)s applications for projects awaiting the school") % {"count": applied})
    leave = teacher.leave_requests.filter(status=LeaveRequest.Status.PENDING).count()
    if leave:
        waiting.append(_("%(count)s leave requests awaiting the school") % {"count": leave})
    # credits.Declaration refers to the teacher (credits imports attendance, not the reverse):
    # "school" is Declaration.Status.SCHOOL, awaiting this school's verification.
    declarations = teacher.declarations.filter(status="school").count() if hasattr(teacher, "declarations") else 0
    if declarations:
        waiting.append(_("%(count)s declarations awaiting the school's verification") % {"count": declarations})
    return waiting


def teacher_transfer(*, actor: User, teacher: Teacher, school: Organisation) -> Teacher:
    """The teacher moves to another school of the district, with their history and login."""
    _check_school(actor, teacher)
    with transaction.atomic():
        teacher = _locked(teacher)
        _check_school(actor, teacher)
        if not transfer_targets(teacher.organisation).filter(pk=school.pk).exists():
            raise PermissionDenied
        if not teacher.active:
            raise ValidationError(_("%(name)s has left the post: reinstate them before a transfer.")
                                  % {"name": teacher.name})
        waiting = pending_at_school(teacher)
        if waiting:
            raise ValidationError(_("Decide what the school still has to decide first: %(items)s.")
                                  % {"items": "；".join(waiting)})
        old = teacher.organisation
        teacher.organisation = school  # stage and subject stay: the new school corrects them if need be
        teacher.save(update_fields=["organisation"])
        if teacher.user_id:
            user = User.objects.select_for_update().get(pk=teacher.user_id)
            user.organisation = school
            user.save(update_fields=["organisation"])
        people_change(PeopleAction.TEACHER_TRANSFERRED, teacher, actor=actor,
                      from_school=old.name, to_school=school.name)
    return teacher


def login_username(teacher: Teacher) -> str:
    """js + the roster row's number (js000123); a letter is added if someone took it by hand."""
    base = f"{USERNAME_PREFIX}{teacher.pk:06d}"
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    if base not in taken:
        return base
    return next(f"{base}{letter}" for letter in "abcdefghjkmnpqrstuvwxyz" if f"{base}{letter}" not in taken)


def teachers_without_login(school: Organisation):
    return Teacher.objects.filter(organisation=school, active=True, user__isnull=True).order_by("name", "pk")


def teacher_logins_create(*, actor: User, school: Organisation, teacher_ids: list[int]) -> list[tuple]:
    """A login for each chosen teacher of the school who is in post and has none:
    [(teacher, user, first password)]. The rows are locked first, so a double submit (or two
    officers at once) makes each login once; the second gets the teachers already done skipped."""
    _check_school(actor, school)
    if len(set(teacher_ids)) > LOGINS_PER_SHEET:
        raise ValidationError(_("Choose at most %(count)s teachers at a time.") % {"count": LOGINS_PER_SHEET})
    created = []
    with transaction.atomic():
        teachers = list(Teacher.objects.select_for_update().filter(organisation=school, pk__in=set(teacher_ids))
                        .order_by("pk"))
        if len(teachers) != len(set(teacher_ids)):
            raise PermissionDenied  # someone else's teacher (or one transferred meanwhile)
        for teacher in teachers:
            if teacher.user_id or not teacher.active:
                continue
            password = first_password()
            user = user_create(username=login_username(teacher), password=password, full_name=teacher.name,
                               role=User.Role.TEACHER, organisation=school, must_change_password=True)
            teacher.user = user
            teacher.save(update_fields=["user"])
            people_change(PeopleAction.ACCOUNT_CREATED, user, actor=actor, teacher_id=teacher.pk)
            created.append((teacher, user, password))
    return created
