from django import forms
from django.utils.translation import gettext_lazy as _

from core import limits, widgets

from .models import action_choices


class AuditFilterForm(forms.Form):
    # Far dates (0001, 9999) would overflow the day arithmetic of the query.
    date_from = forms.DateField(label=_("From"), required=False, validators=limits.date_range(),
                                widget=widgets.DateInput())
    date_to = forms.DateField(label=_("To"), required=False, validators=limits.date_range(),
                              widget=widgets.DateInput())
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("By (name or user name)"), required=False, max_length=150)
    q = forms.CharField(label=_("Text or IP address"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All"))] + action_choices()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return cleaned
