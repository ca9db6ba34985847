"""What a user may write, and whether they may open the review pages, by organisation and role.

Which documents a user may see or change is plans/scopes.py (accounts.permissions).
"""
from accounts.models import Organisation

from .models import Document

# Which kinds each kind of organisation writes.
KINDS_BY_ORGANISATION = {
    Organisation.Kind.TRAINING_SCHOOL: [Document.Kind.ANNUAL_PLAN, Document.Kind.PROJECT_PROPOSAL],
    Organisation.Kind.SCHOOL: [Document.Kind.SCHOOL_PLAN, Document.Kind.PROJECT_PROPOSAL],
    Organisation.Kind.KINDERGARTEN: [Document.Kind.SCHOOL_PLAN, Document.Kind.PROJECT_PROPOSAL],
    # A city's or province's training centre: the plan and projects of its own level.
    Organisation.Kind.TRAINING_CENTRE: [Document.Kind.ANNUAL_PLAN, Document.Kind.PROJECT_PROPOSAL],
}


def authorable_kinds(user) -> list[str]:
    if not user.writes_documents:
        return []
    return KINDS_BY_ORGANISATION.get(user.organisation.kind, [])


def may_use_review_pages(user) -> bool:
    return user.is_district_reviewer or user.is_school_staff or user.is_expert or user.is_regional_officer

