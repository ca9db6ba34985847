"""Who may see which credit records and declarations (accounts.permissions),
registered in CreditsConfig.ready().

* credits.view_teacher (a teacher's credit ledger and printed record): as
  their attendance (attendance.scopes: the teacher, their school's officer and
  principal, district staff of their district);
* credits.view_declaration: a teacher their own; a school its teachers'; the
  training school and the bureau their district's.
"""
from django.db.models import Q, QuerySet

from accounts import permissions
from accounts.models import User
from attendance.models import Teacher
from attendance.scopes import teacher_list_visible, teacher_may_view

from .models import Declaration


def may_use_declarations(user) -> bool:
    """May open the registration pages at all (viewflow asks with no object)."""
    if not user.is_authenticated:
        return False
    return (user.is_superuser or user.is_school_staff or user.is_district_reviewer
            or Teacher.objects.filter(user=user).exists())


def declaration_may_view(user: User, declaration: Declaration) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or (declaration.teacher.user_id and declaration.teacher.user_id == user.pk):
        return True
    if user.is_school_staff:
        return declaration.teacher.organisation_id == user.organisation_id
    if user.is_district_reviewer:
        return declaration.teacher.organisation.district_id == user.district_id
    return False


def declarations_visible(user) -> QuerySet[Declaration]:
    """A teacher their own; a school its teachers'; the training school and bureau their district's."""
    declarations = Declaration.objects.select_related("teacher__organisation")
    if not user.is_authenticated:
        return declarations.none()
    if user.is_superuser:
        return declarations
    scope = Q(teacher__user=user)
    if user.is_school_staff:
        scope |= Q(teacher__organisation_id=user.organisation_id)
    if user.is_district_reviewer:
        scope |= Q(teacher__organisation__district_id=user.district_id)
    return declarations.filter(scope)


def register_all() -> None:
    permissions.register("credits.view_teacher", model=Teacher, may=teacher_may_view, visible=teacher_list_visible)
    permissions.register("credits.view_declaration", model=Declaration, may=declaration_may_view,
                         visible=declarations_visible)
