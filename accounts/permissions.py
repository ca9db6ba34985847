"""Who may see what: one home for every scoped model.

Each app registers, from its scopes.py in its AppConfig.ready(), the two halves
of one rule for each permission on a scoped model, written next to each other:

* may(user, obj) -> bool: may this user, by their organisation and role, see
  (or change) this one? accounts.backends.OrganisationScopeBackend answers
  user.has_perm(perm, obj) from it, e.g. has_perm("credits.view_teacher", teacher);
* visible(user) -> QuerySet: everything of the model this user may see, for
  the pages that list them.

The superuser, and rights granted object by object (guardian: an expert
assigned to one document), are answered by their own backends; visible()
includes them where they exist. So has_perm(perm, obj) holds exactly for the
objects visible(user) returns (tests/test_scopes.py checks the halves agree).
Roles are asked through the User properties (is_school_staff, …), never as strings.
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class Scope:
    perm: str
    model: type[Model]
    may: Callable[..., bool]
    visible: Callable[..., QuerySet]


_scopes: dict[str, Scope] = {}


def register(perm: str, *, model: type[Model], may: Callable[..., bool], visible: Callable[..., QuerySet]) -> None:
    """may(user, obj) and visible(user=user) for perm ("<app>.<action>_<thing>") on model's objects."""
    scope = Scope(perm=perm, model=model, may=may, visible=visible)
    if _scopes.get(perm, scope) != scope:
        raise ImproperlyConfigured(f"Two scopes are registered for {perm}.")
    _scopes[perm] = scope


def user_may(user, perm: str, obj) -> bool:
    """The organisation's rule for this one (False for a permission no app scopes)."""
    scope = _scopes.get(perm)
    return scope is not None and isinstance(obj, scope.model) and bool(scope.may(user, obj))


def visible(user, perm: str) -> QuerySet:
    """What the user may see under perm: the rule's queryset."""
    try:
        scope = _scopes[perm]
    except KeyError:
        raise ImproperlyConfigured(f"No scope is registered for {perm}.") from None
    return scope.visible(user=user)


def registered() -> dict[str, Scope]:
    return dict(_scopes)
