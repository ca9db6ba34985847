"""Forms for writing documents. DocumentEditor bundles the header, the
kind-specific content, its table rows and an attachment, validates them all,
and saves all or nothing."""
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from core import limits
from core.uploads import check_upload

from .services import document_edit_token, document_lock_for_edit
from .models import (
    AnnualPlan, Attachment, ChangeRequest, ContentModule, Document, PlannedProject, ProjectProposal,
    SchoolPlan, SchoolPlanYear, SchoolTrainingForm, SchoolTrainingTopic, TrainingMode,
)

ALL_STAFF_WORDS = {"全员", "all", "all staff"}
ERROR_HEADCOUNT = _("Enter the headcount as a whole number of at least 1, or 全员 for all staff.")
ERROR_YEAR_TAKEN = _("Your organisation already has a %(kind)s for %(year)s.")
ERROR_ATTACHMENT_TYPE = _("Attachments must be PDF, Word, Excel, JPG or PNG files.")
ERROR_ATTACHMENT_SIZE = _("An attachment may be at most %(size)s MB.")


def add_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class HeadcountField(forms.CharField):
    """A positive whole number, or 全员 (all staff); None when left empty (a draft)."""

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        if value.lower() in ALL_STAFF_WORDS:
            return "all"
        try:
            number = int(value.rstrip("人").lstrip("约"))
        except ValueError:
            raise ValidationError(ERROR_HEADCOUNT, code="invalid")
        if number < 1:
            raise ValidationError(ERROR_HEADCOUNT, code="min_value")
        if number > limits.MAX_HEADCOUNT:
            raise ValidationError(limits.ERROR_HEADCOUNT_MAX, code="max_value", params={"high": limits.MAX_HEADCOUNT})
        return number


class DocumentHeaderForm(forms.ModelForm):
    # Editing: the row's state when the form was opened (services.document_edit_token).
    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Document
        fields = ["title", "year"]

    def __init__(self, *args, kind, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.organisation = organisation
        if self.instance.pk:
            self.fields["edit_token"].initial = document_edit_token(self.instance)
        else:
            del self.fields["edit_token"]

    def taken_by(self):
        """The organisation's other plan of this kind and year (one per year), if any."""
        year = self.cleaned_data.get("year")
        if not year or self.kind == Document.Kind.PROJECT_PROPOSAL:
            return None
        taken = Document.objects.filter(kind=self.kind, organisation=self.organisation, year=year)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        return taken.first()

    def clean(self):
        cleaned = super().clean()
        if self.taken_by() is not None:
            self.add_error("year", self.year_taken_message())
        return cleaned

    def year_taken_message(self):
        return ERROR_YEAR_TAKEN % {"kind": Document.Kind(self.kind).label, "year": self.cleaned_data.get("year")}


def _checkboxes(choices_class, label):
    # Not required: a draft is saved as it is; submission asks for what is missing.
    return forms.MultipleChoiceField(
        label=label, choices=choices_class.choices, widget=forms.CheckboxSelectMultiple, required=False,
    )


class AnnualPlanForm(forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = AnnualPlan.SECTIONS


class PlannedProjectForm(forms.ModelForm):
    headcount_text = HeadcountField(label=_("Planned headcount"), max_length=10, required=False)
    modes = _checkboxes(TrainingMode, _("Training modes"))

    class Meta:
        model = PlannedProject
        fields = ["sequence", "name", "modes", "month", "location"]
        widgets = {"month": forms.NumberInput(attrs={"min": 1, "max": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].required = False  # a row without a number is numbered after the others
        if self.instance.pk:
            self.initial["headcount_text"] = "全员" if self.instance.all_staff else self.instance.headcount

    field_order = ["sequence", "name", "headcount_text", "modes", "month", "location"]

    def clean(self):
        cleaned = super().clean()
        if "headcount_text" in cleaned:  # valid, or empty (None) in a draft
            value = cleaned["headcount_text"]
            self.instance.all_staff = value == "all"
            self.instance.headcount = None if value in (None, "all") else value
        return cleaned


class RowFormSet(BaseInlineFormSet):
    """A document's table rows, all edited in one save: the page adds and removes
    rows itself (static/js/rows.js clones the empty form and counts TOTAL_FORMS).
    The server still sends one empty row (extra=1) so that the page works without
    JavaScript; it is marked "spare" and the script drops it from a table that
    has rows (an empty table keeps it to type into)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.is_spare = not self.is_bound and 0 < self.initial_form_count() <= i
        return form

    # Row fields under a per-document unique constraint (nullable), e.g. a year block's year.
    unique_row_fields = ()

    def save(self, commit=True):
        if commit:
            self._make_way()
        return super().save(commit)

    def _make_way(self):
        """Rows may trade the values of a unique field in one save (two year blocks swap
        their years; a block takes the year of one removed in the same save). Django saves
        row by row, so the first row would meet the other's old value at the unique index
        (an IntegrityError, a 500): delete the removed rows first and clear the unique
        fields of the changed rows; the save then writes every row's new value."""
        existing = [form for form in self.initial_forms if form.instance.pk]
        deleted = [form.instance.pk for form in existing if self._should_delete_form(form)]
        if deleted:
            self.model.objects.filter(pk__in=deleted).delete()
        changed = [form.instance.pk for form in existing
                   if not self._should_delete_form(form) and set(self.unique_row_fields) & set(form.changed_data)]
        if changed:
            self.model.objects.filter(pk__in=changed).update(**{name: None for name in self.unique_row_fields})

    def kept_forms(self):
        """The forms that will be saved: filled in and not marked for deletion."""
        return [form for form in self.forms
                if not self._should_delete_form(form) and (form.instance.pk or form.has_changed())]


class PlannedProjectFormSet(inlineformset_factory(
        AnnualPlan, PlannedProject, form=PlannedProjectForm, formset=RowFormSet, extra=1, can_delete=True)):

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # Rows left without a number follow the others, in the order of the page.
        kept = self.kept_forms()
        last = max((form.instance.sequence or 0 for form in kept), default=0)
        for form in kept:
            if form.instance.sequence is None:
                last += 1
                form.instance.sequence = last


class SchoolPlanForm(forms.ModelForm):
    forms = _checkboxes(SchoolTrainingForm, _("Training forms"))
    topics = _checkboxes(SchoolTrainingTopic, _("Training topics"))

    class Meta:
        model = SchoolPlan
        fields = [
            "significance", "objectives", "hours_per_teacher", "group_leader", "group_deputies",
            "group_members", "office", "forms", "topics", "assessment", "annual_budget",
        ]


class SchoolPlanYearForm(forms.ModelForm):
    class Meta:
        model = SchoolPlanYear
        fields = ["start_year", "content", "forms", "hours"]
        widgets = {"content": forms.Textarea(attrs={"rows": 2})}


class SchoolPlanYearFormSet(inlineformset_factory(
        SchoolPlan, SchoolPlanYear, form=SchoolPlanYearForm, formset=RowFormSet, extra=1, max_num=5,
        validate_max=True, can_delete=True)):
    unique_row_fields = ("start_year",)  # one block per school year


class ProjectProposalForm(forms.ModelForm):
    modes = _checkboxes(TrainingMode, _("Training modes"))
    content_modules = _checkboxes(ContentModule, _("Content modules"))

    class Meta:
        model = ProjectProposal
        fields = [
            "organiser", "target_group", "stage", "subject", "headcount", "modes", "start_month", "end_month",
            "location", "hours", "content_modules", "design", "budget",
        ]
        widgets = {
            "start_month": forms.NumberInput(attrs={"min": 1, "max": 12}),
            "end_month": forms.NumberInput(attrs={"min": 1, "max": 12}),
        }


class ChangeRequestForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["new_start_month", "new_end_month", "new_location", "new_headcount", "reason"]
        widgets = {
            "new_start_month": forms.NumberInput(attrs={"min": 1, "max": 12}),
            "new_end_month": forms.NumberInput(attrs={"min": 1, "max": 12}),
            "reason": forms.Textarea(attrs={"rows": 3}),
        }


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Add an attachment"), required=False)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return upload
        check_upload(upload, extensions=settings.ATTACHMENT_EXTENSIONS, max_bytes=settings.ATTACHMENT_MAX_BYTES,
                     messages={"type": ERROR_ATTACHMENT_TYPE, "size": ERROR_ATTACHMENT_SIZE})
        return upload


KIND_FORMS = {
    Document.Kind.ANNUAL_PLAN: (AnnualPlanForm, PlannedProjectFormSet, "projects"),
    Document.Kind.SCHOOL_PLAN: (SchoolPlanForm, SchoolPlanYearFormSet, "years"),
    Document.Kind.PROJECT_PROPOSAL: (ProjectProposalForm, None, None),
    Document.Kind.CHANGE_REQUEST: (ChangeRequestForm, None, None),
}


class DocumentEditor:
    """Create or edit one document of any kind, all or nothing."""

    def __init__(self, *, kind, organisation, user, document=None, data=None, files=None):
        self.kind = kind
        self.user = user
        self.document = document or Document(kind=kind, organisation=organisation, created_by=user)
        detail_form_class, formset_class, self.rows_prefix = KIND_FORMS[kind]
        detail = self.document.detail if document else None
        self.header = DocumentHeaderForm(
            data, instance=self.document, kind=kind, organisation=organisation, prefix="doc",
        )
        self.detail = detail_form_class(data, instance=detail, prefix="detail")
        self.rows = (
            formset_class(data, instance=detail or detail_form_class._meta.model(), prefix=self.rows_prefix)
            if formset_class else None
        )
        self.attachment = AttachmentForm(data, files, prefix="attachment")

    @property
    def forms(self):
        return [f for f in (self.header, self.detail, self.rows, self.attachment) if f is not None]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.forms])  # validate every form, report all errors

    def save(self) -> Document:
        """Save everything or nothing. Raises ValidationError (code "not_editable"
        or "changed") when the document may no longer be edited or changed since
        the form was opened, and (code "year_taken") when another request saved
        the organisation's plan for that year first."""
        try:
            with transaction.atomic():
                return self._save()
        except IntegrityError:
            # Two requests passed clean() together (a double click on "save"):
            # the unique constraint let one in; say so instead of a 500.
            if self.header.taken_by() is not None:
                raise ValidationError(self.header.year_taken_message(), code="year_taken")
            raise

    def _save(self) -> Document:
        if self.document.pk:
            document_lock_for_edit(document=self.document, user=self.user,
                                   token=self.header.cleaned_data.get("edit_token", ""))
            # Only the header's own fields: status, version and filing number
            # belong to the review, never to the edit form.
            document = self.header.save(commit=False)
            document.save(update_fields=["title", "year", "updated_at"])
        else:
            document = self.header.save()
        detail = self.detail.save(commit=False)
        detail.document = document
        detail.save()
        self.detail.save_m2m()
        if self.rows is not None:
            self.rows.instance = detail
            self.rows.save()
        upload = self.attachment.cleaned_data.get("file")
        if upload:
            Attachment.objects.create(
                document=document, file=upload, original_name=upload.name[:200],
                size=upload.size, uploaded_by=self.user,
            )
        return document
