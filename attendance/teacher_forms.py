import unicodedata

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import limits, widgets
from core.limits import BirthDate

from . import idcard
from .models import Teacher

ERROR_ID_INVALID = _("This ID number is not valid (check digit or date).")
ERROR_ID_TAKEN = _("A teacher with this ID number is already on a roster.")
ERROR_LEFT_IN_FUTURE = _("The day of leaving cannot be in the future.")
ERROR_CHOOSE_TEACHERS = _("Choose at least one teacher.")


class TeacherForm(forms.ModelForm):
    """A teacher of the roster; gender and birth date are read from the ID number."""

    class Meta:
        model = Teacher
        fields = ["name", "id_number", "stage", "subject", "title", "is_new_teacher"]
        labels = {"name": _("Name")}  # a person's (姓名), not the model's shared "name" (名称)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = _("18 characters; gender and birth date are taken from it.")

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_id_number(self):
        # Full-width characters from a Chinese input method count; x is X.
        number = unicodedata.normalize("NFKC", self.cleaned_data["id_number"]).strip().upper()
        if not idcard.is_valid(number):
            raise forms.ValidationError(ERROR_ID_INVALID, code="invalid")
        BirthDate()(idcard.birth_date(number))  # at least 16, born from 1940
        taken = Teacher.objects.filter(id_number=number)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(ERROR_ID_TAKEN, code="unique")
        return number

    def _post_clean(self):
        # The model's own checks need the birth date and gender the ID number gives.
        number = self.cleaned_data.get("id_number")
        if number:
            self.instance.gender, self.instance.birth_date = idcard.gender(number), idcard.birth_date(number)
        super()._post_clean()

    def validate_unique(self):
        pass  # clean_id_number says it in the roster's words; the database constraint backs it


class TeacherLeaveForm(forms.Form):
    left_on = forms.DateField(label=_("left the post on"), validators=limits.date_range(),
                              widget=widgets.DateInput())
    reason = forms.CharField(label=_("reason for leaving"), max_length=100, required=False,
                             help_text=_("For example: retired, moved to another district, long illness."))

    def clean_left_on(self):
        day = self.cleaned_data["left_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(ERROR_LEFT_IN_FUTURE, code="future")
        return day


class TeacherTransferForm(forms.Form):
    school = forms.ModelChoiceField(label=_("new school"), queryset=None)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
