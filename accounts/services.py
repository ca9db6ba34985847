from guardian.shortcuts import assign_perm, remove_perm

from .models import Organisation, User

# Which organisation permission each role holds on its own organisation.
ROLE_ORGANISATION_PERMS = {
    User.Role.TRAINING_OFFICER: ["accounts.review_initial"],
    User.Role.BUREAU_OFFICER: ["accounts.review_initial", "accounts.file_document"],
}
ALL_ORGANISATION_PERMS = {p for perms in ROLE_ORGANISATION_PERMS.values() for p in perms}


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
