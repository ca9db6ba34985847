from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core import widgets
from core.choices import Subject
from core.params import MAX_YEAR, MIN_YEAR
from plans.models import TrainingMode

from .models import MAX_CANCEL_REASON, ProjectLogEntry

MONTHS = [(m, _("Month %(month)s") % {"month": m}) for m in range(1, 13)]


class ScheduleFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    month = forms.TypedChoiceField(label=_("Month"), choices=[("", _("Whole year"))] + MONTHS, coerce=int,
                                   required=False, empty_value=None)
    stage = forms.ChoiceField(label=_("Stage"), required=False,
                              choices=[("", _("All"))] + [c for c in Organisation.Stage.choices if c[0]])
    subject = forms.ChoiceField(label=_("Subject"), required=False, choices=[("", _("All"))] + Subject.choices)
    mode = forms.ChoiceField(label=_("Training mode"), required=False, choices=[("", _("All"))] + TrainingMode.choices)
    organiser = forms.ModelChoiceField(label=_("Organiser"), required=False, queryset=None, empty_label=_("All"))

    def __init__(self, *args, organisers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = organisers


class ProjectCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=MAX_CANCEL_REASON,
                             widget=forms.Textarea(attrs={"rows": 2}))


class LogEntryForm(forms.ModelForm):
    class Meta:
        model = ProjectLogEntry
        fields = ["kind", "happened_on", "text"]
        widgets = {"happened_on": widgets.DateInput(), "text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["happened_on"].initial = timezone.localdate()
        # Closing has its own page, where the organiser records every attendee's assessment
        # result before the credits are written (schedule.close_views).
        self.fields["kind"].choices = [choice for choice in self.fields["kind"].choices
                                       if choice[0] != ProjectLogEntry.Kind.CLOSED]


class SpotCheckDrawForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    share_percent = forms.IntegerField(label=_("Share (%)"), min_value=1, max_value=100, initial=20)


class FindingsForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))


class SpotCheckCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=MAX_CANCEL_REASON,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from .services import ERROR_CANCEL_REASON

        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = ERROR_CANCEL_REASON
