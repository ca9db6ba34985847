from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Decision

REVIEW_DECISIONS = [
    (Decision.APPROVE, _("Approve")),
    (Decision.RETURN, _("Return for revision")),
    (Decision.REJECT, _("Reject")),
]
EXPERT_OPINIONS = [
    (Decision.AGREE, Decision.AGREE.label),
    (Decision.AGREE_WITH_CHANGES, Decision.AGREE_WITH_CHANGES.label),
    (Decision.DISAGREE, Decision.DISAGREE.label),
]


class InitialReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=REVIEW_DECISIONS, widget=forms.RadioSelect)
    experts = forms.ModelMultipleChoiceField(
        label=_("Experts for the expert review"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Required when approving: the document goes to these experts."),
    )
    comment = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, experts_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = experts_queryset
        self.fields["experts"].label_from_instance = lambda u: (
            f"{u.display_name}（{u.title}，{u.expertise}）" if u.title else u.display_name
        )


class ExpertReviewForm(forms.Form):
    opinion = forms.ChoiceField(label=_("Opinion"), choices=EXPERT_OPINIONS, widget=forms.RadioSelect)
    score = forms.IntegerField(
        label=_("Score (0–100)"), min_value=0, max_value=100,
        error_messages={"invalid": _("Enter the score as a whole number between 0 and 100.")},
    )
    comment = forms.CharField(label=_("Comments"), widget=forms.Textarea(attrs={"rows": 5}))


class FilingForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=REVIEW_DECISIONS, widget=forms.RadioSelect)
    filing_number = forms.CharField(label=_("Filing number"), max_length=50, required=False)
    comment = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class SchoolReviewForm(forms.Form):
    """学校审核: the principal signs the document off, or returns it to its author."""
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (Decision.APPROVE, _("Sign off: send it to the initial review")),
        (Decision.RETURN, _("Return to the author for revision")),
    ])
    comment = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class ConfirmChangesForm(forms.Form):
    """修改后同意: were the changes the experts asked for made?"""
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (Decision.APPROVE, _("Changes made: send it to filing")),
        (Decision.RETURN, _("Changes not made: return to the author")),
    ])
    comment = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class ResubmitForm(forms.Form):
    comment = forms.CharField(
        label=_("What was changed"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
    )


class SavedFilterForm(forms.Form):
    """A name for the inbox's current filters (Django refuses NUL characters, which
    PostgreSQL cannot store)."""
    name = forms.CharField(max_length=50, error_messages={"required": _("Give the filter a name.")})
    query = forms.CharField(max_length=300, required=False)


class CopyNoteForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class BatchApproveForm(forms.Form):
    """The inbox's batch approval: one opinion recorded with every approval."""
    comment = forms.CharField(label=_("Opinion"), max_length=500, required=False)
