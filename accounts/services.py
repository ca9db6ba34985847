from guardian.shortcuts import assign_perm, remove_perm

from .models import District, Organisation, User

# Which organisation permission each role holds on its own organisation.
ROLE_ORGANISATION_PERMS = {
    User.Role.TRAINING_OFFICER: ["accounts.review_initial"],
    User.Role.BUREAU_OFFICER: ["accounts.review_initial", "accounts.file_document"],
}
ALL_ORGANISATION_PERMS = {p for perms in ROLE_ORGANISATION_PERMS.values() for p in perms}

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
    wanted = set(ROLE_ORGANISATION_PERMS.get(user.role, [])) if user.organisation_id else set()
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


def district_create(**fields) -> District:
    """A district with its settings, as the admin enters it (for scripts such as the demo)."""
    district = District(**fields)
    district.full_clean()
    district.save()
    return district


def organisation_create(*, district: District, name: str, kind: str, stage: str = "") -> Organisation:
    """An organisation of the district, as the admin enters it (for scripts such as the demo)."""
    organisation = Organisation(district=district, name=name, kind=kind, stage=stage)
    organisation.full_clean()
    organisation.save()
    return organisation
