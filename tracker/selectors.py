"""The submission tracker's rows: for each school of a district, the state of
the documents of one kind and year it is expected to send, in a fixed number
of queries however many schools the district has."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from plans.models import Document

from .models import SubmissionReminder, TrackedKind


class State:
    """A school's state in the tracker, in the order "sort by state" uses (late first)."""

    NOT_STARTED = "not_started"
    DRAFT = "draft"
    RETURNED = "returned"
    REJECTED = "rejected"
    IN_REVIEW = "in_review"
    FILED = "filed"

    choices = [
        (NOT_STARTED, _("Not started")),
        (DRAFT, _("Draft")),
        (RETURNED, _("Returned for revision")),
        (REJECTED, _("Rejected")),
        (IN_REVIEW, _("In review")),
        (FILED, _("Filed")),
    ]
    values = [value for value, _label in choices]
    labels = dict(choices)


# Who is late and may be reminded. A rejected school plan is final (one plan a year:
# the school cannot start another), while a school whose proposals were all rejected
# is still expected to send one.
LATE_STATES = {
    TrackedKind.SCHOOL_PLAN: {State.NOT_STARTED, State.DRAFT, State.RETURNED},
    TrackedKind.PROJECT_PROPOSAL: {State.NOT_STARTED, State.DRAFT, State.RETURNED, State.REJECTED},
}

# The document list's status colours.
STATE_CSS = {State.NOT_STARTED: "status-rejected", State.DRAFT: "status-draft", State.RETURNED: "status-returned",
             State.REJECTED: "status-rejected", State.IN_REVIEW: "status-initial_review",
             State.FILED: "status-approved"}

# How far along a document is: a school's proposals count by the furthest one.
_PROGRESS = [State.NOT_STARTED, State.REJECTED, State.DRAFT, State.RETURNED, State.IN_REVIEW, State.FILED]


def document_state(document: Document) -> str:
    status = document.status
    if status == Document.Status.DRAFT:
        return State.DRAFT
    if status == Document.Status.RETURNED:
        return State.RETURNED
    if status == Document.Status.APPROVED:
        return State.FILED
    if status == Document.Status.REJECTED:
        return State.REJECTED
    return State.IN_REVIEW  # every review step (its label says which)


@dataclass
class TrackerRow:
    school: Organisation
    state: str
    documents: list = field(default_factory=list)  # the school's documents of the kind and year
    officers: list = field(default_factory=list)   # its active training officers (who is reminded)
    reminder_count: int = 0
    last_reminder_at: object = None
    late: bool = False

    @property
    def state_label(self):
        return State.labels[self.state]

    @property
    def state_css(self) -> str:
        return STATE_CSS[self.state]

    @property
    def state_order(self) -> int:
        return State.values.index(self.state)


def district_schools(district_id):
    return Organisation.objects.filter(
        district_id=district_id, kind__in=[Organisation.Kind.SCHOOL, Organisation.Kind.KINDERGARTEN],
    )


def tracker_rows(*, district_id, kind: str, year: int, school_ids=None) -> list[TrackerRow]:
    """One row per school (or per school of ``school_ids``), ordered by name. Four queries."""
    schools = district_schools(district_id).order_by("name", "pk")
    if school_ids is not None:
        schools = schools.filter(pk__in=school_ids)
    schools = list(schools)
    ids = [school.pk for school in schools]
    documents = defaultdict(list)
    for document in (Document.objects.filter(organisation_id__in=ids, kind=kind, year=year)
                     .only("pk", "organisation_id", "title", "status", "filing_number", "filed_at", "version",
                           "updated_at", "kind", "year")
                     .order_by("created_at", "pk")):
        documents[document.organisation_id].append(document)
    reminders = {
        row["school_id"]: row for row in SubmissionReminder.objects.filter(school_id__in=ids, kind=kind, year=year)
        .values("school_id").annotate(count=Count("pk"), last=Max("sent_at"))
    }
    officers = defaultdict(list)
    for officer in (User.objects.filter(organisation_id__in=ids, role=User.Role.SCHOOL_OFFICER, is_active=True)
                    .only("pk", "organisation_id", "username", "full_name", "email", "is_active")
                    .order_by("pk")):
        officers[officer.organisation_id].append(officer)
    rows = []
    for school in schools:
        own = documents[school.pk]
        state = max((document_state(d) for d in own), key=_PROGRESS.index, default=State.NOT_STARTED)
        reminder = reminders.get(school.pk, {})
        rows.append(TrackerRow(
            school=school, state=state, documents=own, officers=officers[school.pk],
            reminder_count=reminder.get("count", 0), last_reminder_at=reminder.get("last"),
            late=state in LATE_STATES[kind],
        ))
    return rows


def state_counts(rows: list[TrackerRow]) -> list[tuple[str, str, int]]:
    """(state, label, count) for every state, in order."""
    counts = Counter(row.state for row in rows)
    return [(value, label, counts[value]) for value, label in State.choices]


SORTS = {"": None, "state": False, "-state": True}


def tracker_sort(rows: list[TrackerRow], sort: str) -> list[TrackerRow]:
    """By name (as given) or by state, late first ("state") or filed first ("-state")."""
    if not sort:
        return rows
    return sorted(rows, key=lambda row: row.state_order, reverse=SORTS[sort])  # stable: by name within a state
