"""The rule editor's form: a version's own values, its conversions (with their caps), its
excellent-trainee bonuses and its category minimums, validated together (all or nothing)."""
from django import forms
from django.utils.translation import gettext as _

from .models import Bonus, CategoryRequirement, ConversionRule, RuleSet
from .rule_versions import BONUS_FIELDS, CATEGORY_FIELDS, CONVERSION_FIELDS, RULE_SET_FIELDS

MAX_ROWS = 100


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = RULE_SET_FIELDS
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 3}),
        }


class ConversionForm(forms.ModelForm):
    class Meta:
        model = ConversionRule
        fields = CONVERSION_FIELDS
        widgets = {"text": forms.TextInput()}


class BonusForm(forms.ModelForm):
    class Meta:
        model = Bonus
        fields = BONUS_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kind = Bonus.Kind.EXCELLENT_TRAINEE


class CategoryForm(forms.ModelForm):
    class Meta:
        model = CategoryRequirement
        fields = CATEGORY_FIELDS


class Rows(forms.BaseFormSet):
    """Rows of one kind: the copied ones always checked, an added one when filled in, any of
    them dropped with its delete box. `key` names the fields two rows may not share."""

    key: tuple = ()
    duplicate_message = ""

    def kept(self) -> list[forms.Form]:
        return [form for index, form in enumerate(self.forms)
                if not (self.can_delete and self._should_delete_form(form))
                and (index < self.initial_form_count() or form.has_changed())]

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.kept():
            key = tuple(form.cleaned_data.get(field) for field in self.key)
            if key in seen:
                raise forms.ValidationError(self.duplicate_message % self.describe(form))
            seen.add(key)

    def describe(self, form) -> dict:
        return {}


class ConversionRows(Rows):
    key = ("activity", "level")

    @property
    def duplicate_message(self):
        return _("Two conversion rules are for %(activity)s at the level “%(level)s”: keep one.")

    def describe(self, form):
        return {"activity": form.instance.get_activity_display(), "level": form.instance.get_level_display()}


class BonusRows(Rows):
    key = ("level",)

    @property
    def duplicate_message(self):
        return _("Two excellent-trainee bonuses are for the level “%(level)s”: keep one.")

    def describe(self, form):
        return {"level": form.instance.get_level_display()}


class CategoryRows(Rows):
    key = ("code",)

    @property
    def duplicate_message(self):
        return _("Two category minimums have the code “%(code)s”: keep one.")

    def describe(self, form):
        return {"code": form.cleaned_data.get("code")}


def _formset(form, rows):
    return forms.formset_factory(form, formset=rows, extra=2, can_delete=True, max_num=MAX_ROWS, validate_max=True,
                                 absolute_max=MAX_ROWS)


ConversionFormSet = _formset(ConversionForm, ConversionRows)
BonusFormSet = _formset(BonusForm, BonusRows)
CategoryFormSet = _formset(CategoryForm, CategoryRows)


class RuleEditor:
    """The whole page: a version's values and its three tables of rows."""

    def __init__(self, data=None, *, initial=None, rows=((), (), ())):
        conversions, bonuses, categories = rows
        self.header = RuleSetForm(data, initial=initial)
        self.conversions = ConversionFormSet(data, prefix="conversion", initial=list(conversions))
        self.bonuses = BonusFormSet(data, prefix="bonus", initial=list(bonuses))
        self.categories = CategoryFormSet(data, prefix="category", initial=list(categories))

    @property
    def parts(self):
        return [self.header, self.conversions, self.bonuses, self.categories]

    def is_valid(self) -> bool:
        valid = all([part.is_valid() for part in self.parts])  # every part checked, every error shown
        return valid and self._references_valid()

    def _references_valid(self) -> bool:
        """A conversion's category and a category's surplus target name one of the categories."""
        codes = {form.cleaned_data["code"] for form in self.categories.kept()}
        valid = True
        for form in self.conversions.kept():
            code = form.cleaned_data.get("category")
            if code and code not in codes:
                form.add_error("category", _("No category minimum below has the code “%(code)s”: add it, or leave "
                                             "the category empty.") % {"code": code})
                valid = False
        for form in self.categories.kept():
            code = form.cleaned_data.get("surplus_to")
            if code and code not in codes:
                form.add_error("surplus_to", _("No category minimum has the code “%(code)s”.") % {"code": code})
                valid = False
        return valid

    def objects(self):
        """The new version and its rows, unsaved."""
        return (self.header.instance, [form.instance for form in self.conversions.kept()],
                [form.instance for form in self.bonuses.kept()], [form.instance for form in self.categories.kept()])

    def data(self) -> dict:
        """Every value of the new version (what the preview was computed from)."""
        def rows(formset, fields):
            return [{field: form.cleaned_data.get(field) for field in fields} for form in formset.kept()]

        return {"header": {field: self.header.cleaned_data.get(field) for field in RULE_SET_FIELDS},
                "conversions": rows(self.conversions, CONVERSION_FIELDS), "bonuses": rows(self.bonuses, BONUS_FIELDS),
                "categories": rows(self.categories, CATEGORY_FIELDS)}

    def error_count(self) -> int:
        count = len(self.header.errors)
        for formset in self.parts[1:]:
            count += len(formset.non_form_errors()) + sum(len(errors) for errors in formset.errors)
        return count
