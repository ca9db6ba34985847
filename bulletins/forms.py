from django import forms
from django.utils.translation import gettext_lazy as _

from core.params import MAX_YEAR, MIN_YEAR

from .models import MAX_WITHDRAW_REASON


class BulletinForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)


class CommendationForm(forms.Form):
    cycle = forms.TypedChoiceField(label=_("Credit cycle"), coerce=int)

    def __init__(self, *args, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycles = {first: (first, last) for first, last in cycles}
        self.fields["cycle"].choices = [(first, f"{first}–{last}") for first, last in cycles]

    def clean_cycle(self):
        return self.cycles[self.cleaned_data["cycle"]]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=MAX_WITHDRAW_REASON,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from .services import ERROR_WITHDRAW_REASON

        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = ERROR_WITHDRAW_REASON
