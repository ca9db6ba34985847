import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import widgets
from core.params import parse_id

from .models import MAX_MAKE_UP_NOTE, MakeUp, ProjectRun, Session
from .services import ERROR_MAKE_UP_KIND, ERROR_MAKE_UP_NOTE


class ProjectRunForm(forms.ModelForm):
    class Meta:
        model = ProjectRun
        fields = ["quota", "per_school_quota", "self_enrolment", "min_attendance_percent"]


class IdChoicesField(forms.ModelMultipleChoiceField):
    """Checked ids: one too large for the column is an invalid choice, not a database error."""

    def _check_values(self, value):
        for pk in value:
            if parse_id(pk, required=False) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super()._check_values(value)


class NominateForm(forms.Form):
    teachers = IdChoicesField(label=_("Teachers to nominate"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = teachers


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["title", "date", "start_time", "end_time", "hours", "place", "online"]
        widgets = {
            "date": widgets.DateInput(),
            "start_time": widgets.TimeInput(),
            "end_time": widgets.TimeInput(),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The session must end after it starts."))
        return cleaned


class SignInForm(forms.Form):
    code = forms.CharField(label=_("Sign-in code"), max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))

    def clean_code(self):
        # Full-width digits from a Chinese input method count; other scripts' digits
        # (which Python's \d accepts) do not, and never reach the code comparison.
        code = unicodedata.normalize("NFKC", self.cleaned_data["code"]).strip()
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("The sign-in code has six digits."), code="invalid")
        return code


class LeaveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class MakeUpForm(forms.Form):
    """补学 accepted by the organiser: how the session was made up, and a note."""

    kind = forms.ChoiceField(label=_("Made up by"), choices=MakeUp.Kind.choices,
                             error_messages={"required": ERROR_MAKE_UP_KIND, "invalid_choice": ERROR_MAKE_UP_KIND})
    note = forms.CharField(label=_("Make-up note"), max_length=MAX_MAKE_UP_NOTE,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": ERROR_MAKE_UP_NOTE})
