"""Forms of the people pages. Lengths and choices come from the models; what a manager may
choose (organisations, roles) from accounts.services, so a forged value is a form error."""
from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Organisation, User
from .signals import PeopleAction, people_change

ERROR_NAME_TAKEN = _("The district already has an organisation with this name.")
ERROR_SCHOOL_STAGE = _("Choose the school's stage (a kindergarten is a separate kind).")
ERROR_KINDERGARTEN_STAGE = _("A kindergarten's stage is “Kindergarten”.")
ERROR_ROLE = _("This role is not possible in the chosen organisation.")
ERROR_FULL_NAME = _("Enter the person's name.")


class OrganisationForm(forms.ModelForm):
    """A school or kindergarten of the bureau's district."""

    class Meta:
        model = Organisation
        fields = ["name", "kind", "stage"]

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district
        self.fields["kind"].choices = [(k.value, k.label) for k in services.SCHOOL_KINDS]
        self.fields["stage"].choices = [("", "---------")] + [
            (value, label) for value, label in Organisation.Stage.choices if value]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = Organisation.objects.filter(district=self.district, name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(ERROR_NAME_TAKEN, code="unique")
        return name

    def clean(self):
        cleaned = super().clean()
        kind, stage = cleaned.get("kind"), cleaned.get("stage")
        if kind == Organisation.Kind.KINDERGARTEN:
            if stage not in ("", Organisation.Stage.KINDERGARTEN):
                self.add_error("stage", ERROR_KINDERGARTEN_STAGE)
            cleaned["stage"] = Organisation.Stage.KINDERGARTEN
        elif kind == Organisation.Kind.SCHOOL and stage in ("", Organisation.Stage.KINDERGARTEN, None):
            self.add_error("stage", ERROR_SCHOOL_STAGE)
        return cleaned


class AccountForm(forms.ModelForm):
    """A staff account: new (organisation, role, user name) or edited (no user name change)."""

    class Meta:
        model = User
        fields = ["organisation", "role", "username", "full_name", "email", "title", "expertise"]

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        self.manager = manager
        creating = self.instance.pk is None
        if creating:
            self.fields["organisation"].queryset = services.manageable_organisations(manager).order_by("kind", "name")
            self.fields["organisation"].required = True
            self.fields["username"].help_text = _(
                "Letters, digits and @ . + - _ only; the person logs in with it. It cannot be changed later.")
        else:
            del self.fields["organisation"], self.fields["username"]
        organisation = self.instance.organisation if not creating else None
        roles = set(services.ROLES_BY_KIND.get(organisation.kind, ())) if organisation else \
            set(services.BUREAU_MANAGED_ROLES if manager.is_bureau_officer else services.SCHOOL_STAFF_ROLES)
        self.fields["role"].choices = [(v, label) for v, label in User.Role.choices if v in roles]
        self.fields["role"].required = True
        self.fields["full_name"].required = True
        self.fields["full_name"].error_messages["required"] = ERROR_FULL_NAME
        self.fields["email"].help_text = _("Optional: where a password reset link is sent.")

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") if self.instance.pk is None else self.instance.organisation
        role = cleaned.get("role")
        if organisation is not None and role and role not in services.account_roles(self.manager, organisation):
            self.add_error("role", ERROR_ROLE)
        for name in ("full_name", "title", "expertise"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        return cleaned


class OwnEmailForm(forms.Form):
    email = forms.EmailField(label=_("email address"), required=False, max_length=254,
                             help_text=_("Where a password reset link is sent if you forget your password."))


class AuditedPasswordResetForm(PasswordResetForm):
    """Django's reset form; each link sent is recorded (for the account it was sent to)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                          html_email_template_name)
        people_change(PeopleAction.PASSWORD_RESET_EMAIL, context["user"], actor=None)
