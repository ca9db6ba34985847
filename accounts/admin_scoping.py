"""The admin, scoped to a district.

Bureau officers are staff (accounts.services gives them the group "bureau-rule-keepers", with
model permissions on the district's rules), and Django's model permissions say nothing about
*which* rows. So every admin of a model that belongs to a district uses ``DistrictScopedAdmin``:
a staff user who is not a superuser lists, opens, adds, changes and deletes only their own
district's rows, and every foreign-key or many-to-many choice in its forms (and inlines, and
list filters) offers only their district's objects. What districts share (a province's credit
rule sets) and global settings (step deadlines) use ``SuperuserChangesAdmin``: others may look
(given the view permission), only the superuser changes them.
"""
from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404

from core.params import parse_id

# model → lookup from that model to its District ("pk" for District itself). Filled by the
# admins below as they are registered, so a form's choices can be scoped by the related model.
DISTRICT_PATHS: dict[type, str] = {}


def register_district_path(model, path: str) -> None:
    DISTRICT_PATHS[model] = path


def district_path(model) -> str | None:
    return DISTRICT_PATHS.get(model)


def user_district_id(user):
    return user.district_id if user.is_authenticated else None


def _lookup(path: str) -> str:
    return "pk" if path == "pk" else f"{path}__pk"


def scope_queryset(queryset, user, path: str | None):
    """The rows of ``queryset`` in the user's district (all of them for a superuser)."""
    if user.is_superuser or path is None:
        return queryset
    district_id = user_district_id(user)
    if district_id is None:
        return queryset.none()
    return queryset.filter(**{_lookup(path): district_id})


def district_id_of(obj, path: str):
    """The district id of an instance, saved or not, following ``path`` (None when it has none)."""
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited to the user's district (admins and inlines)."""

    def get_field_queryset(self, db, db_field, request):
        related = db_field.remote_field.model
        path = district_path(related)
        queryset = super().get_field_queryset(db, db_field, request)
        if path is None or request.user.is_superuser:
            return queryset
        if queryset is None:
            queryset = related._default_manager.using(db)
        return scope_queryset(queryset, request.user, path)


class CheckedAdminParams:
    """Parameters the admin trusts, refused as a bad request instead of a 500: ``_to_field=``
    (empty), which its check takes for "no field" and its lookup for a field named "", and
    the ids of the rows chosen for an action (``_selected_action``)."""

    def changelist_view(self, request, *args, **kwargs):
        from django.contrib.admin import helpers

        from core.params import parse_ids

        if request.method == "POST":
            parse_ids(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        return super().changelist_view(request, *args, **kwargs)

    def _check_to_field(self, request):
        from django.contrib.admin.exceptions import DisallowedModelAdminToField
        from django.contrib.admin.options import TO_FIELD_VAR

        if request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR)) == "":
            raise DisallowedModelAdminToField("The field '' cannot be referenced.")

    def changeform_view(self, request, *args, **kwargs):
        self._check_to_field(request)
        return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        self._check_to_field(request)
        return super().delete_view(request, *args, **kwargs)


class DistrictScopedAdmin(CheckedAdminParams, ScopedChoicesMixin):
    """Mix in before ``admin.ModelAdmin``; set ``district_path`` (e.g. "organisation__district")."""

    district_path: str = ""

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        if not self.district_path:
            raise TypeError(f"{type(self).__name__} needs a district_path")
        register_district_path(model, self.district_path)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.district_path)

    def in_district(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        district_id = user_district_id(request.user)
        return district_id is not None and district_id_of(obj, self.district_path) == district_id

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_district(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_district(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_district(request, obj)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and (
            request.user.is_superuser or user_district_id(request.user) is not None)

    def save_model(self, request, obj, form, change):
        # The last word: whatever the form let through, a row lands in the user's district only.
        if not self.in_district(request, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def get_list_filter(self, request):
        """Filters on a relation list only what the user's rows refer to (no other district's names)."""
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        scoped = []
        for item in filters:
            if isinstance(item, str) and self._is_relation(item):
                item = (item, admin.RelatedOnlyFieldListFilter)
            scoped.append(item)
        return scoped

    def _is_relation(self, path: str) -> bool:
        try:
            return get_fields_from_path(self.model, path)[-1].is_relation
        except (FieldDoesNotExist, NotRelationField):
            return False

    # django-guardian's object-permission pages (GuardedModelAdmin) grant rights to any user:
    # only the superuser manages those.
    def obj_perms_manage_view(self, request, object_pk):
        self._superuser_only(request, object_pk)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self._superuser_only(request, object_pk, user_id)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        self._superuser_only(request, object_pk, group_id)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    @staticmethod
    def _superuser_only(request, *ids):
        if not request.user.is_superuser:
            raise PermissionDenied
        if any(parse_id(pk, required=False) is None for pk in ids):  # guardian int()s them: a 500
            raise Http404


class SuperuserChangesAdmin(CheckedAdminParams):
    """Shared by districts or global: readable with the view permission, changed by the superuser
    alone. Use it on the model's inlines too (their rows are shared as well)."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

