from django.template.defaultfilters import yesno

from accounts.models import User

from .scopes import document_list_visible


def document_list_for_page(*, user: User, kind="", status="", year=None, organisation_id=None):
    documents = document_list_visible(user=user).select_related("organisation", "created_by")
    if kind:
        documents = documents.filter(kind=kind)
    if status:
        documents = documents.filter(status=status)
    if year:
        documents = documents.filter(year=year)
    if organisation_id:
        documents = documents.filter(organisation_id=organisation_id)
    return documents.order_by("-year", "-updated_at", "-pk")


def version_for_display(*, version) -> dict:
    """A frozen DocumentVersion as labelled fields and tables, for reading."""
    from .models import PlannedProject, SchoolPlanYear

    document = version.document
    detail_model = type(document.detail)
    content = version.content

    def shown(model, name, value):
        # Stored codes read as their labels: lists of choices through the model's
        # `<field>_display`, single choices through the field's own choices.
        field = model._meta.get_field(name)
        if isinstance(value, list) and isinstance(getattr(model, f"{name}_display", None), property):
            value = getattr(model(**{name: value}), f"{name}_display")
        elif field.choices and value not in (None, ""):
            value = dict(field.flatchoices).get(value, value)
        elif isinstance(value, bool):
            value = yesno(value)
        if isinstance(value, list):
            return "、".join(str(v) for v in value) or "—"
        return "—" if value in (None, "") else value

    def labelled(model, values):
        return [(model._meta.get_field(name).verbose_name, shown(model, name, value)) for name, value in values.items()
                if name not in ("id", "plan", "document")]

    tables = []
    for key, model in (("projects", PlannedProject), ("years", SchoolPlanYear)):
        rows = content.get(key) or []
        if rows:
            headers = [label for label, _ in labelled(model, rows[0])]
            tables.append({"headers": headers, "rows": [[v for _, v in labelled(model, r)] for r in rows]})
    return {
        "title": content.get("title"),
        "year": content.get("year"),
        "fields": labelled(detail_model, content.get("detail", {})),
        "tables": tables,
    }
