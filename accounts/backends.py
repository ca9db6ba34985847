"""Organisation-scoped object permissions.

guardian answers for rights granted on single objects (an expert assigned to
one document). What a whole organisation may do follows from where a user
works, so it is a rule rather than one guardian row per object: each app
registers its rules in accounts.permissions, and this backend answers from there.
"""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied

from . import permissions


def _named_after_another_app(perm: str, obj) -> bool:
    """credits.view_teacher asked of attendance's Teacher: guardian cannot hold
    such a grant and raises WrongAppError when asked (the same test as its own)."""
    app_label = perm.split(".", 1)[0] if "." in perm else obj._meta.app_label
    return app_label != obj._meta.app_label and app_label != ContentType.objects.get_for_model(obj).app_label


class OrganisationScopeBackend:
    """Before guardian's backend in AUTHENTICATION_BACKENDS: the rule answers first (no
    guardian query for an organisation's own things), and alone for a permission
    named after another app than its object's."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not user_obj.is_active:
            return False
        if permissions.user_may(user_obj, perm, obj):
            return True
        if _named_after_another_app(perm, obj):
            raise PermissionDenied  # no: and guardian is not asked
        return False

    def get_all_permissions(self, user_obj, obj=None):
        return set()
