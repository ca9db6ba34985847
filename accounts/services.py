import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from guardian.shortcuts import assign_perm, remove_perm

from .models import District, Organisation, User
from .regions import region_create
from .signals import PeopleAction, people_change

# Which organisation permission each role holds on its own organisation.
ROLE_ORGANISATION_PERMS = {
    User.Role.TRAINING_OFFICER: ["accounts.review_initial"],
    User.Role.BUREAU_OFFICER: ["accounts.review_initial", "accounts.file_document"],
}
ALL_ORGANISATION_PERMS = {p for perms in ROLE_ORGANISATION_PERMS.values() for p in perms}
# A city's or province's bureau reviews and files the documents of its own level (its training
# centre's plans and projects); its officers are reviewers of nothing below it.
REGIONAL_BUREAU_PERMS = ["accounts.review_initial", "accounts.file_document"]


def _role_perms(user: User) -> set[str]:
    if not user.organisation_id:
        return set()
    if user.is_regional_officer:
        return set(REGIONAL_BUREAU_PERMS) if user.organisation.kind == Organisation.Kind.BUREAU else set()
    return set(ROLE_ORGANISATION_PERMS.get(user.role, []))

# The district rules the bureau keeps in the admin ("admin is enough"): its attendance
# rules and review routes (scoped to its district by accounts.admin_scoping). Credit rule
# sets are shared by the districts of a province and step deadlines are global: the bureau
# may read them, only the superuser changes them.
BUREAU_RULES_GROUP = "bureau-rule-keepers"
BUREAU_RULE_PERMS = {
    ("credits", "ruleset"): ["view"], ("credits", "conversionrule"): ["view"], ("credits", "bonus"): ["view"],
    ("workflow", "stepdeadline"): ["view"],
    ("attendance", "completionrules"): ["view", "add", "change", "delete"],
    ("workflow", "reviewroute"): ["view", "add", "change", "delete"],
}


def user_sync_organisation_perms(*, user: User) -> None:
    """Grant the guardian permissions a user's role gives on their organisation.

    Review queues are keyed on these grants (viewflow's .Permission(obj=...)).
    """
    wanted = _role_perms(user)
    for org in Organisation.objects.filter(pk__in=_orgs_with_grants(user)):
        for perm in ALL_ORGANISATION_PERMS:
            if org.pk != user.organisation_id or perm not in wanted:
                remove_perm(perm, user, org)
    for perm in wanted:
        assign_perm(perm, user, user.organisation)
    _sync_bureau_rule_keeping(user)


def _sync_bureau_rule_keeping(user: User) -> None:
    """Bureau officers may edit the district's rules in the admin; nobody else by role."""
    group = bureau_rules_group()
    if user.role == User.Role.BUREAU_OFFICER:
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    elif user.groups.filter(pk=group.pk).exists():
        user.groups.remove(group)


def bureau_rules_group():
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _created = Group.objects.get_or_create(name=BUREAU_RULES_GROUP)
    which = Q(pk__in=[])
    for (app_label, model), actions in BUREAU_RULE_PERMS.items():
        which |= Q(content_type__app_label=app_label, content_type__model=model,
                   codename__in=[f"{action}_{model}" for action in actions])
    wanted = set(Permission.objects.filter(which).values_list("pk", flat=True))
    # Kept in step with BUREAU_RULE_PERMS, so a group made by an older release loses what it no longer has.
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
    return group


def _orgs_with_grants(user):
    from guardian.models import UserObjectPermission
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Organisation)
    return {
        int(pk)
        for pk in UserObjectPermission.objects.filter(user=user, content_type=ct)
        .values_list("object_pk", flat=True)
    }


def user_create(*, username: str, password: str, full_name: str, role: str,
                organisation: Organisation | None, **extra) -> User:
    user = User(username=username, full_name=full_name, role=role,
                organisation=organisation, **extra)
    user.set_password(password)
    user.full_clean()
    user.save()
    user_sync_organisation_perms(user=user)
    return user


def district_create(*, province: str = "", city: str = "", **fields) -> District:
    """A district with its settings, as the admin enters it (for scripts such as the demo);
    the province and city by name, made on first use."""
    if province and city:
        fields["city"] = region_create(province=province, city=city)[1]
    district = District(**fields)
    district.full_clean()
    district.save()
    return district


def organisation_create(*, district: District | None = None, name: str, kind: str, stage: str = "",
                        city=None, province=None) -> Organisation:
    """An organisation of the district (or a city's or province's bureau or centre), as the admin
    enters it (for scripts such as the demo)."""
    organisation = Organisation(district=district, city=city, province=province, name=name, kind=kind, stage=stage)
    organisation.full_clean()
    organisation.save()
    return organisation


# --- people managed in the app (accounts/views.py) ------------------------------------------
#
# The bureau keeps its district: schools and kindergartens, the expert pool and the staff accounts
# of every organisation (its own officers, the training school's, each school's first officer).
# A school's training officer keeps its own staff accounts (training officer, principal) and its
# teachers' logins (made from the roster, attendance.teachers). Nobody manages a superuser here,
# and nobody deactivates or resets their own account (the password change page is for that).

Kind = Organisation.Kind
Role = User.Role
SCHOOL_KINDS = (Kind.SCHOOL, Kind.KINDERGARTEN)
SCHOOL_STAFF_ROLES = (Role.SCHOOL_OFFICER, Role.PRINCIPAL)
# The roles an account of each kind of organisation may have.
ROLES_BY_KIND = {
    Kind.BUREAU: (Role.BUREAU_OFFICER,),
    Kind.TRAINING_SCHOOL: (Role.TRAINING_OFFICER,),
    Kind.EXPERT_POOL: (Role.EXPERT,),
    Kind.SCHOOL: SCHOOL_STAFF_ROLES,
    Kind.KINDERGARTEN: SCHOOL_STAFF_ROLES,
}
BUREAU_MANAGED_ROLES = (Role.BUREAU_OFFICER, Role.TRAINING_OFFICER, Role.EXPERT, *SCHOOL_STAFF_ROLES)
SCHOOL_MANAGED_ROLES = (*SCHOOL_STAFF_ROLES, Role.TEACHER)

# A first password: easy to copy from paper (no 0/O, 1/l/I), 10 characters (about 50 bits).
FIRST_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
FIRST_PASSWORD_LENGTH = 10


def first_password() -> str:
    while True:
        password = "".join(secrets.choice(FIRST_PASSWORD_ALPHABET) for _ in range(FIRST_PASSWORD_LENGTH))
        # Letters and digits both, so no validator ever calls it "entirely numeric".
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def is_school_manager(user) -> bool:
    """A school's (or kindergarten's) training officer: keeps the school's staff and roster."""
    return bool(user.is_active and user.is_school_officer and user.organisation.is_school)


def may_manage_people(user) -> bool:
    return bool(user.is_active and (user.is_bureau_officer or is_school_manager(user)))


def manageable_organisations(manager):
    """The organisations whose accounts the manager keeps."""
    if not manager.is_active:
        return Organisation.objects.none()
    if manager.is_bureau_officer:
        return Organisation.objects.filter(district_id=manager.district_id)
    if is_school_manager(manager):
        return Organisation.objects.filter(pk=manager.organisation_id)
    return Organisation.objects.none()


def editable_organisations(manager):
    """Schools and kindergartens the bureau officer may edit (the district's other
    organisations are made once, with the district)."""
    if manager.is_active and manager.is_bureau_officer:
        return Organisation.objects.filter(district_id=manager.district_id, kind__in=SCHOOL_KINDS)
    return Organisation.objects.none()


def account_roles(manager, organisation) -> tuple:
    """The roles the manager may give an account of this organisation."""
    if organisation is None or not manageable_organisations(manager).filter(pk=organisation.pk).exists():
        return ()
    if manager.is_bureau_officer:
        return ROLES_BY_KIND.get(organisation.kind, ())
    return SCHOOL_STAFF_ROLES


def manageable_accounts(manager):
    """The accounts the manager may edit, deactivate and reset."""
    if manager.is_active and manager.is_bureau_officer:
        roles = BUREAU_MANAGED_ROLES
    elif is_school_manager(manager):
        roles = SCHOOL_MANAGED_ROLES
    else:
        return User.objects.none()
    return User.objects.filter(organisation__in=manageable_organisations(manager), role__in=roles,
                               is_superuser=False)


def may_manage_account(manager, account) -> bool:
    return manageable_accounts(manager).filter(pk=account.pk).exists()


def _check_manages(manager, account, *, not_self=False):
    if not may_manage_account(manager, account):
        raise PermissionDenied
    if not_self and manager.pk == account.pk:
        raise ValidationError(_("You cannot do this to your own account: use “Change password” instead."))


def _changed(instance, fields, values) -> list[str]:
    changed = [name for name in fields if name in values and getattr(instance, name) != values[name]]
    for name in changed:
        setattr(instance, name, values[name])
    return changed


ORGANISATION_FIELDS = ["name", "kind", "stage"]
ACCOUNT_FIELDS = ["full_name", "role", "email", "title", "expertise"]


def organisation_add(*, actor, name: str, kind: str, stage: str = "") -> Organisation:
    """A school or kindergarten of the bureau officer's district."""
    if not (actor.is_active and actor.is_bureau_officer) or kind not in SCHOOL_KINDS:
        raise PermissionDenied
    with transaction.atomic():
        organisation = organisation_create(district=actor.organisation.district, name=name, kind=kind, stage=stage)
        people_change(PeopleAction.ORGANISATION_CREATED, organisation, actor=actor)
    return organisation


def organisation_update(*, actor, organisation: Organisation, **values) -> list[str]:
    """Name, kind (school or kindergarten) and stage; returns the names of the fields changed."""
    if not editable_organisations(actor).filter(pk=organisation.pk).exists() or \
            values.get("kind", organisation.kind) not in SCHOOL_KINDS:
        raise PermissionDenied
    changed = _changed(organisation, ORGANISATION_FIELDS, values)
    if changed:
        with transaction.atomic():
            organisation.full_clean()
            organisation.save(update_fields=changed)
            people_change(PeopleAction.ORGANISATION_CHANGED, organisation, actor=actor, fields=changed)
    return changed


def account_add(*, actor, organisation: Organisation, role: str, username: str, full_name: str,
                email: str = "", title: str = "", expertise: str = "") -> tuple[User, str]:
    """A staff account with a first password (returned once, to be shown once), which the new
    user must change at the first login. Grants follow the role (user_sync_organisation_perms)."""
    if role not in account_roles(actor, organisation):
        raise PermissionDenied
    password = first_password()
    with transaction.atomic():
        user = user_create(username=username, password=password, full_name=full_name, role=role,
                           organisation=organisation, email=email, title=title, expertise=expertise,
                           must_change_password=True)
        people_change(PeopleAction.ACCOUNT_CREATED, user, actor=actor)
    return user, password


def account_update(*, actor, account: User, **values) -> list[str]:
    """Name, role (among those of its organisation), email, title and expertise."""
    _check_manages(actor, account)
    if account.role == Role.TEACHER:  # a teacher's name lives on the roster (attendance.teachers)
        raise PermissionDenied
    role = values.get("role", account.role)
    if role != account.role and role not in account_roles(actor, account.organisation):
        raise PermissionDenied
    if role != account.role and actor.pk == account.pk:  # nobody takes away their own management rights
        raise ValidationError(_("You cannot change your own role: ask another officer."))
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        changed = _changed(account, ACCOUNT_FIELDS, values)
        if changed:
            account.full_clean()
            account.save(update_fields=changed)
            if "role" in changed:
                user_sync_organisation_perms(user=account)
            people_change(PeopleAction.ACCOUNT_CHANGED, account, actor=actor, fields=changed)
    return changed


def open_tasks_of(user) -> int:
    """Review tasks the user has claimed or been given and not finished."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    return Task.objects.filter(owner=user, status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]).count()


def account_set_active(*, actor, account: User, active: bool) -> bool:
    """Deactivate (no login, off every queue) or reactivate; returns whether anything changed.
    A deactivated account keeps its history (trail entries, opinions, marks)."""
    _check_manages(actor, account, not_self=True)
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if account.is_active == active:
            return False
        if not active:
            # Claimed review tasks would wait for someone who can no longer sign in.
            count = open_tasks_of(account)
            if count:
                raise ValidationError(ngettext(
                    "%(name)s still holds %(count)s open review task: it must be finished or handed over first.",
                    "%(name)s still holds %(count)s open review tasks: they must be finished or handed over first.",
                    count) % {"name": account.display_name, "count": count})
        account.is_active = active
        account.save(update_fields=["is_active"])
        people_change(PeopleAction.ACCOUNT_ACTIVATED if active else PeopleAction.ACCOUNT_DEACTIVATED,
                      account, actor=actor)
    return True


def account_reset_password(*, actor, account: User) -> str:
    """A new first password for someone who forgot theirs (shown once; changed at the next login).
    It also lifts a lockout after too many wrong passwords."""
    from axes.utils import reset as axes_reset  # imported late: axes needs the app registry
    _check_manages(actor, account, not_self=True)
    password = first_password()
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        account.set_password(password)
        account.must_change_password = True
        account.save(update_fields=["password", "must_change_password"])
        people_change(PeopleAction.PASSWORD_RESET, account, actor=actor)
    axes_reset(username=account.username)
    return password


def password_changed(*, user: User, action: str = PeopleAction.PASSWORD_CHANGED) -> None:
    """The user chose their own password (the change page, or an emailed reset link)."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    people_change(action, user, actor=user)


def own_email_set(*, user: User, email: str) -> bool:
    """Anyone sets their own email address (where password reset links are sent)."""
    if user.email == email:
        return False
    with transaction.atomic():
        user.email = email
        user.full_clean()
        user.save(update_fields=["email"])
        people_change(PeopleAction.ACCOUNT_CHANGED, user, actor=user, fields=["email"])
    return True
