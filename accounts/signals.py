"""What the people pages change, told to whoever listens (the audit trail records it;
accounts does not import audit).

``people_changed`` is sent once per change, after it is saved, with:

* ``action``: one of ``PeopleAction``'s codes;
* ``obj``: the organisation, user or teacher changed;
* ``actor``: who did it (a User, or None for the system);
* ``details``: plain values the record needs (changed field names, the schools of a transfer…).
"""
from django.dispatch import Signal

people_changed = Signal()


class PeopleAction:
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_CHANGED = "organisation.changed"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_CHANGED = "account.changed"
    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_ACTIVATED = "account.activated"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"  # an officer set a new first password
    PASSWORD_RESET_EMAIL = "password.reset_email"  # a reset link was emailed
    PASSWORD_RESET_DONE = "password.reset_done"  # the user set a password through the emailed link
    TEACHER_CREATED = "teacher.created"
    TEACHER_CHANGED = "teacher.changed"
    TEACHER_LEFT = "teacher.left"
    TEACHER_REINSTATED = "teacher.reinstated"
    TEACHER_TRANSFERRED = "teacher.transferred"


def people_change(action: str, obj, *, actor=None, **details) -> None:
    people_changed.send(sender=type(obj), action=action, obj=obj, actor=actor, details=details)
