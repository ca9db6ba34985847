"""People and accounts in the app (人员与账号), under /people/.

* everyone: their account (email address for reset links) and password change;
  anyone signed out: a reset link by email (Django's own views, our templates);
* the bureau officer: the district's schools and kindergartens, the expert pool and the staff
  accounts of every organisation of the district;
* a school's training officer: the school's staff accounts and its teachers' logins (the roster
  itself is attendance.teacher_views).

Who may do what is accounts.services; a page outside one's scope answers 403 (the page) or 404
(an object of someone else's district or school), and changes nothing.
"""
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.params import BadParameter, parse_id

from . import services
from .forms import ERROR_NAME_TAKEN, AccountForm, AuditedPasswordResetForm, OrganisationForm, OwnEmailForm
from .models import Organisation, User
from .signals import PeopleAction

PAGE_SIZE = 50
QUERY_MAX = 50


def _manager(request):
    if not services.may_manage_people(request.user):
        raise PermissionDenied
    return request.user


def _bureau(request):
    if not (request.user.is_active and request.user.is_bureau_officer):
        raise PermissionDenied
    return request.user


def _query(request) -> str:
    # No NUL (PostgreSQL refuses it in a query) and no essay: names are short.
    return request.GET.get("q", "").replace("\x00", "").strip()[:QUERY_MAX]


# --- everyone ----------------------------------------------------------------------------

@login_required
def my_account(request):
    user = request.user
    form = OwnEmailForm(request.POST or None, initial={"email": user.email})
    if request.method == "POST" and form.is_valid():
        if services.own_email_set(user=user, email=form.cleaned_data["email"]):
            messages.success(request, _("Your email address was saved."))
        return redirect("people:index")
    return render(request, "accounts/my_account.html", {
        "form": form,
        "may_manage": services.may_manage_people(user),
        "is_bureau": user.is_active and user.is_bureau_officer,
        "is_school_manager": services.is_school_manager(user),
    })


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = AuditedPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("people:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("people:password_reset_complete")

    def form_valid(self, form):
        from axes.utils import reset as axes_reset

        response = super().form_valid(form)
        services.password_changed(user=form.user, action=PeopleAction.PASSWORD_RESET_DONE)
        axes_reset(username=form.user.get_username())  # a new password lifts a lockout
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- the bureau: organisations ----------------------------------------------------------------

@login_required
def organisation_list(request):
    bureau = _bureau(request)
    organisations = Organisation.objects.filter(district_id=bureau.district_id).order_by("name", "pk")
    groups = {kind: [] for kind in Organisation.Kind}  # in the order the kinds are declared
    for organisation in organisations:
        groups[organisation.kind].append(organisation)
    return render(request, "accounts/organisation_list.html", {
        "groups": [(kind.label, members) for kind, members in groups.items() if members],
        "school_kinds": services.SCHOOL_KINDS,
    })


@login_required
def organisation_edit(request, pk=None):
    bureau = _bureau(request)
    district = bureau.organisation.district
    organisation = get_object_or_404(services.editable_organisations(bureau), pk=pk) if pk else None
    form = OrganisationForm(request.POST or None, instance=organisation, district=district)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.ORGANISATION_FIELDS}
        try:
            if organisation is None:
                organisation = services.organisation_add(actor=bureau, **values)
                messages.success(request, _("“%(name)s” was added.") % {"name": organisation.name})
            else:
                organisation.refresh_from_db()  # the form wrote its values onto the instance
                if services.organisation_update(actor=bureau, organisation=organisation, **values):
                    messages.success(request, _("“%(name)s” was saved.") % {"name": organisation.name})
            return redirect("people:organisations")
        except (IntegrityError, ValidationError):
            # The same name saved by someone else a moment ago (the database's unique constraint).
            form.add_error("name", ERROR_NAME_TAKEN)
    return render(request, "accounts/organisation_form.html", {"form": form, "organisation": organisation})


# --- accounts (bureau: staff of the district; school: its staff and teachers' logins) -------------

def _account_list_filters(request, manager):
    organisations = services.manageable_organisations(manager).order_by("kind", "name")
    organisation = None
    if request.GET.get("organisation"):
        organisation = organisations.filter(pk=parse_id(request.GET["organisation"])).first()
        if organisation is None:
            raise BadParameter(_("Unknown organisation."))
    role = request.GET.get("role", "")
    if role and role not in User.Role.values:
        raise BadParameter(_("Unknown role."))
    status = request.GET.get("status", "")
    if status not in ("", "active", "inactive"):
        raise BadParameter(_("Unknown status."))
    return organisations, organisation, role, status


@login_required
def account_list(request):
    manager = _manager(request)
    organisations, organisation, role, status = _account_list_filters(request, manager)
    query = _query(request)
    accounts = services.manageable_accounts(manager).select_related("organisation")
    if organisation:
        accounts = accounts.filter(organisation=organisation)
    if role:
        accounts = accounts.filter(role=role)
    if status:
        accounts = accounts.filter(is_active=(status == "active"))
    if query:
        accounts = accounts.filter(Q(full_name__icontains=query) | Q(username__icontains=query))
    page = Paginator(accounts.order_by("organisation__kind", "organisation__name", "role", "full_name", "pk"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    roles = services.BUREAU_MANAGED_ROLES if manager.is_bureau_officer else services.SCHOOL_MANAGED_ROLES
    return render(request, "accounts/account_list.html", {
        "page": page, "organisations": organisations, "organisation": organisation,
        "roles": [(v, label) for v, label in User.Role.choices if v in roles], "role": role,
        "status": status, "query": query, "experts": False,
    })


@login_required
def expert_list(request):
    """The district's expert pool: name, title, expertise, active."""
    bureau = _bureau(request)
    pool = Organisation.objects.filter(district_id=bureau.district_id, kind=Organisation.Kind.EXPERT_POOL)
    experts = services.manageable_accounts(bureau).filter(role=User.Role.EXPERT, organisation__in=pool) \
        .select_related("organisation").order_by("-is_active", "full_name", "pk")
    return render(request, "accounts/expert_list.html", {"experts": experts, "pool": pool.first()})


@login_required
def account_add(request):
    manager = _manager(request)
    initial = {}
    if request.GET.get("organisation"):
        initial["organisation"] = get_object_or_404(services.manageable_organisations(manager),
                                                    pk=parse_id(request.GET["organisation"]))
        roles = services.account_roles(manager, initial["organisation"])
        if len(roles) == 1:
            initial["role"] = roles[0]
    form = AccountForm(request.POST or None, manager=manager, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, password = services.account_add(
                actor=manager, organisation=data["organisation"], role=data["role"], username=data["username"],
                full_name=data["full_name"], email=data["email"], title=data["title"], expertise=data["expertise"])
        except (IntegrityError, ValidationError):
            # The same user name taken by a request a moment ago.
            form.add_error("username", _("A user with that username already exists."))
        else:
            return _password_page(request, account, password, created=True)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


def _managed_account(request, pk):
    manager = _manager(request)
    return manager, get_object_or_404(services.manageable_accounts(manager).select_related("organisation"), pk=pk)


@login_required
def account_edit(request, pk):
    manager, account = _managed_account(request, pk)
    if account.role == User.Role.TEACHER:  # teachers are edited on the roster
        raise PermissionDenied
    form = AccountForm(request.POST or None, instance=account, manager=manager)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.ACCOUNT_FIELDS}
        account.refresh_from_db()  # the form wrote its values onto the instance
        try:
            if services.account_update(actor=manager, account=account, **values):
                messages.success(request, _("The account of %(name)s was saved.") % {"name": account.display_name})
        except ValidationError as error:
            form.add_error("role", error)
        else:
            return redirect(_back(request, account))
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_set_active(request, pk):
    manager, account = _managed_account(request, pk)
    active = {"activate": True, "deactivate": False}.get(request.POST.get("action"))
    if active is None:
        raise BadParameter(_("Unknown action."))
    try:
        if services.account_set_active(actor=manager, account=account, active=active):
            messages.success(request, (_("%(name)s can log in again.") if active
                                       else _("%(name)s can no longer log in; their records are kept."))
                             % {"name": account.display_name})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_back(request, account))


@login_required
@require_POST
def account_reset_password(request, pk):
    manager, account = _managed_account(request, pk)
    try:
        password = services.account_reset_password(actor=manager, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(request, account))
    return _password_page(request, account, password, created=False)


def _back(request, account):
    """Where a change made from a list returns to: the roster for teachers, else the list it came from."""
    if account.role == User.Role.TEACHER:
        return reverse("attendance:teachers")
    if account.role == User.Role.EXPERT:
        return reverse("people:experts")
    return reverse("people:accounts")


@never_cache  # no-store: the browser and proxies keep no copy of the password
def _password_page(request, account, password, *, created):
    """The first password, shown once (never stored; a lost one is reset again)."""
    return render(request, "accounts/first_password.html", {
        "account": account, "password": password, "created": created,
        "login_url": request.build_absolute_uri(reverse("login")), "back": _back(request, account),
    })
