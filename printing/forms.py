from django import forms
from django.utils.translation import gettext_lazy as _

from core.params import MAX_YEAR, MIN_YEAR
from plans.models import Document


class BatchPrintForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All"))] + Document.Kind.choices)
    organisation = forms.ModelChoiceField(label=_("Organisation"), required=False, queryset=None,
                                          empty_label=_("All"))
    format = forms.ChoiceField(label=_("Format"), choices=[("pdf", _("One PDF")), ("zip", _("Zip of PDFs"))],
                               initial="pdf", widget=forms.RadioSelect)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
