"""Reading and comparing frozen versions (DocumentVersion.content).

A snapshot is plain data (services.document_snapshot): the title, the year, the
content's fields ("detail") and, for the kinds with a table, its rows
("projects" or "years"). These functions turn stored codes into what a reader
understands (choice labels, "11月", 是/否) and list what changed between two
snapshots, field by field and row by row.
"""
from dataclasses import dataclass, field

from django.template.defaultfilters import yesno
from django.utils.translation import gettext_lazy as _

from .models import (
    AnnualPlan, ChangeRequest, Document, PlannedProject, ProjectProposal, SchoolPlan, SchoolPlanYear,
    months_display,
)

EMPTY = "—"
MONTH_FIELDS = {"month", "start_month", "end_month", "new_start_month", "new_end_month"}
# Fields a reader does not compare: keys, and the project a change request is about (it never changes).
HIDDEN_FIELDS = {"id", "plan", "document", "project"}

CONTENT_MODEL = {
    Document.Kind.ANNUAL_PLAN: AnnualPlan,
    Document.Kind.SCHOOL_PLAN: SchoolPlan,
    Document.Kind.PROJECT_PROPOSAL: ProjectProposal,
    Document.Kind.CHANGE_REQUEST: ChangeRequest,
}


@dataclass(frozen=True)
class Table:
    """A snapshot's table: its key in the snapshot, row model, label, and the
    field that tells its rows apart between versions (a project's 序号, a block's school year)."""
    key: str
    model: type
    label: object
    row_key: str


TABLES = [
    Table("projects", PlannedProject, _("Training schedule"), "sequence"),
    Table("years", SchoolPlanYear, _("Five-year plan"), "start_year"),
]


def display_value(model, name, value):
    """A stored value as the reader should see it: labels for choice codes,
    "11月" for months, 是/否 for booleans, "—" for nothing."""
    model_field = model._meta.get_field(name)
    if name in MONTH_FIELDS and isinstance(value, int):
        return str(months_display(value, value))
    if isinstance(value, list) and isinstance(getattr(model, f"{name}_display", None), property):
        value = getattr(model(**{name: value}), f"{name}_display")  # choice lists: the model's own labels
    elif model_field.choices and value not in (None, ""):
        value = dict(model_field.flatchoices).get(value, value)
    elif isinstance(value, bool):
        value = yesno(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or EMPTY
    return EMPTY if value in (None, "") else str(value)


def labelled(model, values: dict) -> list[tuple]:
    """[(label, shown value)] of a snapshot's fields, in the snapshot's order."""
    return [(model._meta.get_field(name).verbose_name, display_value(model, name, value))
            for name, value in values.items() if name not in HIDDEN_FIELDS]


def row_label(table: Table, row: dict) -> str:
    """What names a row for the reader: "序号 3", or "2025–2026学年"."""
    key = row.get(table.row_key)
    if table.model is SchoolPlanYear:
        return str(SchoolPlanYear(start_year=key).label)
    return f"{table.model._meta.get_field(table.row_key).verbose_name} {EMPTY if key is None else key}"


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class RowChange:
    label: str
    changes: list = field(default_factory=list)   # [FieldChange]


@dataclass
class TableDiff:
    label: str
    added: list = field(default_factory=list)     # [(row label, [(field label, shown value)])]
    removed: list = field(default_factory=list)   # [(row label, [(field label, shown value)])]
    changed: list = field(default_factory=list)   # [RowChange]

    @property
    def has_changes(self):
        return bool(self.added or self.removed or self.changed)


@dataclass
class VersionDiff:
    fields: list = field(default_factory=list)    # [FieldChange]
    tables: list = field(default_factory=list)    # [TableDiff], only those with changes

    @property
    def has_changes(self):
        return bool(self.fields or self.tables)


def _field_changes(model, old: dict, new: dict) -> list[FieldChange]:
    changes = []
    for name in list(dict.fromkeys([*old, *new])):
        if name in HIDDEN_FIELDS or old.get(name) == new.get(name):
            continue
        changes.append(FieldChange(str(model._meta.get_field(name).verbose_name),
                                   display_value(model, name, old.get(name)), display_value(model, name, new.get(name))))
    return changes


def _pair_rows(table: Table, old_rows: list, new_rows: list):
    """Rows of both versions with the same key, in order; then the old ones
    left over (removed) and the new ones left over (added)."""
    waiting = {}
    for row in old_rows:
        waiting.setdefault(row.get(table.row_key), []).append(row)
    pairs, added = [], []
    for row in new_rows:
        same_key = waiting.get(row.get(table.row_key))
        if same_key:
            pairs.append((same_key.pop(0), row))
        else:
            added.append(row)
    removed = [row for row in old_rows if any(row is r for rows in waiting.values() for r in rows)]
    return pairs, removed, added


def _table_diff(table: Table, old_rows: list, new_rows: list) -> TableDiff:
    diff = TableDiff(str(table.label))
    pairs, removed, added = _pair_rows(table, old_rows, new_rows)
    for old, new in pairs:
        changes = _field_changes(table.model, old, new)
        if changes:
            diff.changed.append(RowChange(row_label(table, new), changes))
    diff.removed = [(row_label(table, row), labelled(table.model, row)) for row in removed]
    diff.added = [(row_label(table, row), labelled(table.model, row)) for row in added]
    return diff


def version_diff(kind: str, old: dict, new: dict) -> VersionDiff:
    """What changed from snapshot `old` to snapshot `new` of a document of this kind."""
    diff = VersionDiff()
    for name in ("title", "year"):
        if old.get(name) != new.get(name):
            diff.fields.append(FieldChange(str(Document._meta.get_field(name).verbose_name),
                                           display_value(Document, name, old.get(name)),
                                           display_value(Document, name, new.get(name))))
    diff.fields += _field_changes(CONTENT_MODEL[kind], old.get("detail") or {}, new.get("detail") or {})
    for table in TABLES:
        old_rows, new_rows = old.get(table.key) or [], new.get(table.key) or []
        if old_rows or new_rows:
            table_diff = _table_diff(table, old_rows, new_rows)
            if table_diff.has_changes:
                diff.tables.append(table_diff)
    return diff


def version_for_display(*, version) -> dict:
    """A frozen DocumentVersion as labelled fields and tables, for reading."""
    content = version.content
    tables = []
    for table in TABLES:
        rows = content.get(table.key) or []
        if rows:
            headers = [label for label, _value in labelled(table.model, rows[0])]
            tables.append({"headers": headers, "rows": [[v for _label, v in labelled(table.model, r)] for r in rows]})
    return {
        "title": content.get("title"),
        "year": content.get("year"),
        "fields": labelled(CONTENT_MODEL[version.document.kind], content.get("detail", {})),
        "tables": tables,
    }
