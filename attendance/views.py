from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.params import BadParameter, parse_id, parse_ids, parse_year
from core.pdf import pdf_response, render_pdf
from plans.forms import add_validation_error
from schedule.models import ScheduledProject
from schedule.selectors import project_list_visible

from . import reports, services
from .forms import LeaveForm, MakeUpForm, NominateForm, ProjectRunForm, SessionForm, SignInForm
from .models import Attendance, Enrolment, LeaveRequest, MakeUp, Session, Teacher
from .teacher_filters import filter_context, teacher_filters, teachers_filtered


def _visible_project(user, pk):
    return get_object_or_404(project_list_visible(user=user).select_related("organiser"), pk=pk)


@login_required
def project_page(request, pk):
    """Enrolment and sessions of one scheduled project."""
    user, project = request.user, _visible_project(request.user, pk)
    organiser = services.is_organiser(user, project)
    run = services.project_run(project)
    run_form = ProjectRunForm(request.POST if "run" in request.POST else None, instance=run) if organiser else None
    filters = teacher_filters(request.GET)  # the picker's 学科/学段 (a bad value is a 400)
    own_teachers = free_teachers = Teacher.objects.none()
    if user.is_school_officer:
        free_teachers = Teacher.objects.filter(organisation_id=user.organisation_id, active=True).exclude(
            enrolments__project=project, enrolments__status__in=[
                Enrolment.Status.NOMINATED, Enrolment.Status.CONFIRMED, Enrolment.Status.WAITLISTED,
                Enrolment.Status.APPLIED])
        own_teachers = teachers_filtered(free_teachers, **filters)
    nominate_form = NominateForm(request.POST if "nominate" in request.POST else None, teachers=own_teachers)
    session_form = SessionForm(request.POST if "session" in request.POST else None, prefix="session") \
        if organiser else None

    if request.method == "POST":
        try:
            response = _project_post(request, project, run_form, nominate_form, session_form, free_teachers)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            response = None
        if response:
            return response

    enrolments = project.enrolments.select_related("teacher__organisation", "decided_by")
    if user.is_district_reviewer and project.is_regional and not organiser:
        # A city's or province's project: a district's staff see their own district's teachers only.
        enrolments = enrolments.filter(teacher__organisation__district_id=user.district_id)
    elif not (organiser or user.is_district_reviewer or user.is_regional_officer):
        enrolments = enrolments.filter(teacher__organisation_id=user.organisation_id)
    return render(request, "attendance/project.html", {
        "project": project, "run": run, "organiser": organiser, "run_form": run_form,
        # The card shows while the school has free teachers, even when the filter leaves none.
        "nominate_form": nominate_form if free_teachers.exists() else None,
        "places": services.nomination_places(project, user.organisation_id) if user.is_school_officer else None,
        "replacements": list(free_teachers.order_by("name")) if user.is_school_officer else [],
        "session_form": session_form, "enrolments": enrolments,
        "confirmable": organiser and any(e.status in ("nominated", "waitlisted") for e in enrolments),
        "free_places": services.project_free_places(project) if organiser else None,
        "sessions": project.sessions.all(),
        "can_apply": user.is_teacher and run.self_enrolment,
        **filter_context(filters),
    })


def _project_post(request, project, run_form, nominate_form, session_form, free_teachers):
    user, action = request.user, request.POST
    if "run" in action:
        if run_form is None:
            raise PermissionDenied
        if run_form.is_valid():
            run = run_form.save(commit=False)
            run.project = project
            run.save()
            messages.success(request, _("Enrolment settings saved."))
            return redirect("attendance:project", pk=project.pk)
    elif "nominate" in action:
        if not user.is_school_officer:  # only a school puts its teachers forward
            raise PermissionDenied
        if nominate_form.is_valid():
            # All of them, or none: more teachers than the school's places left is refused with both numbers.
            services.enrolment_nominate_many(project=project, teachers=nominate_form.cleaned_data["teachers"],
                                             user=user)
            messages.success(request, _("Nominated; the organiser will confirm."))
            return _back_to_project(request, project)
    elif "confirm_selected" in action:
        try:
            confirmed = services.enrolment_confirm_many(project=project, user=user,
                                                        enrolment_ids=parse_ids(action.getlist("enrolments")))
        except Enrolment.DoesNotExist:
            raise Http404
        messages.success(request, _("%(count)s nominations confirmed.") % {"count": len(confirmed)})
        return redirect("attendance:project", pk=project.pk)
    elif "replace" in action:
        if not user.is_school_officer:
            raise PermissionDenied
        enrolment = get_object_or_404(Enrolment, pk=parse_id(action.get("enrolment")), project=project)
        # Only one of the school's own free teachers: another school's id is not found.
        teacher = get_object_or_404(free_teachers, pk=parse_id(action.get("teacher")))
        replacement = services.enrolment_replace(enrolment=enrolment, teacher=teacher, user=user)
        messages.success(request, _("%(new)s now has the nomination of %(old)s.")
                         % {"new": replacement.teacher.name, "old": enrolment.teacher.name})
        return _back_to_project(request, project)
    elif "apply" in action:
        services.enrolment_apply(project=project, user=user)
        messages.success(request, _("Application sent to your school."))
        return redirect("attendance:project", pk=project.pk)
    elif "decide" in action or "school_decide" in action or "withdraw" in action:
        enrolment = get_object_or_404(Enrolment, pk=parse_id(action.get("enrolment")), project=project)
        if "decide" in action:
            confirm = _choice(action, "decide", {"confirm": True, "decline": False})
            services.enrolment_organiser_decide(enrolment=enrolment, user=user, confirm=confirm)
        elif "school_decide" in action:
            approve = _choice(action, "school_decide", {"approve": True, "refuse": False})
            services.enrolment_school_decide(enrolment=enrolment, user=user, approve=approve)
        else:
            services.enrolment_withdraw(enrolment=enrolment, user=user)
            messages.success(request, _("The nomination of %(name)s was withdrawn.") % {"name": enrolment.teacher.name})
        return redirect("attendance:project", pk=project.pk)
    elif "generate" in action:
        created = services.sessions_generate(project=project, user=user)
        messages.success(request, _("%(count)s sessions drafted from the schedule; edit them as needed.")
                         % {"count": len(created)})
        return redirect("attendance:project", pk=project.pk)
    elif "session" in action:
        if session_form is None:
            raise PermissionDenied
        if session_form.is_valid():
            session = session_form.save(commit=False)
            session.project, session.organisation = project, project.organiser
            session.save()
            return redirect("attendance:session", pk=session.pk)
    return None


@login_required
def make_ups(request, pk):
    """补学: the roster's teachers with missed sessions; the organiser accepts make-ups.
    District staff of the project's district read it (as the project's report)."""
    user = request.user
    project = get_object_or_404(ScheduledProject.objects.select_related("organiser"), pk=pk)
    if not user.has_perm("attendance.view_project_report", project):
        raise PermissionDenied
    organiser = services.is_organiser(user, project)
    form, failed = MakeUpForm(request.POST or None), None
    if request.method == "POST":
        if not organiser:
            raise PermissionDenied
        # Only teachers ever enrolled on this project: an id of anyone else is not found.
        teacher = get_object_or_404(Teacher, pk=parse_id(request.POST.get("teacher")), enrolments__project=project)
        session = get_object_or_404(Session, pk=parse_id(request.POST.get("session")))
        if form.is_valid():
            try:
                services.make_up_accept(project=project, session=session, teacher=teacher, user=user,
                                        **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Make-up of “%(session)s” accepted for %(name)s.")
                                 % {"session": session.title, "name": teacher.name})
                return redirect("attendance:make_ups", pk=project.pk)
        else:
            messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        failed = (teacher.pk, session.pk)  # that row's form keeps what was typed
    report = reports.project_report(project)
    return render(request, "attendance/make_ups.html", {
        "project": project, "report": report, "rows": reports.make_up_rows(report), "organiser": organiser,
        "form": form, "failed": failed, "kinds": MakeUp.Kind.choices,
        "closed": project.status != ScheduledProject.Status.SCHEDULED,
    })


def _back_to_project(request, project):
    """The project page again, with the teacher filter the school was using."""
    url = reverse("attendance:project", args=[project.pk])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


def _choice(data, name, choices: dict):
    """The value of a button among the ones the page offers; anything else is a bad request."""
    value = data.get(name)
    if value not in choices:
        raise BadParameter(_("Unknown action."))
    return choices[value]


def _marks(post) -> dict[int, str]:
    """The roll-call form's t-<teacher id> fields that were filled in."""
    return {parse_id(key[len("t-"):]): value for key, value in post.items() if key.startswith("t-") and value}


def _visible_session(user, pk) -> Session:
    session = get_object_or_404(Session.objects.select_related("project", "organisation"), pk=pk)
    if not user.has_perm("attendance.view_session", session):
        raise Http404
    return session


@login_required
def session_page(request, pk):
    """Roll call on a phone: the whole roster on one form."""
    session = _visible_session(request.user, pk)
    organiser = services.is_session_organiser(request.user, session)
    teachers = list(services.roster(session).select_related("organisation"))
    marks = {a.teacher_id: a for a in session.attendance.all()}
    if request.method == "POST":
        if not organiser:
            raise PermissionDenied
        source = Attendance.Source.PAPER if request.POST.get("source") == "paper" else Attendance.Source.ROLL_CALL
        chosen = _marks(request.POST)
        try:
            services.attendance_mark(session=session, user=request.user, marks=chosen, source=source)
        except (ValidationError, ValueError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Attendance saved for %(count)s teachers.") % {"count": len(chosen)})
            return redirect("attendance:session", pk=session.pk)
    wrong = services.wrong_codes_by_teacher(session)
    rows = [(t, marks.get(t.pk), wrong.get(t.pk, 0)) for t in teachers]
    return render(request, "attendance/session.html", {
        "session": session, "rows": rows, "organiser": organiser, "statuses": Attendance.Status.choices,
        "window": services.sign_in_window(session), "max_wrong": services.MAX_WRONG_CODES_PER_TEACHER,
    })


@login_required
def session_edit(request, pk):
    """Drafted sessions are edited here: date, times, hours, place."""
    session = _visible_session(request.user, pk)
    if not services.is_session_organiser(request.user, session):
        raise PermissionDenied
    form = SessionForm(request.POST or None, instance=session, prefix="session")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Session saved."))
        return redirect("attendance:session", pk=session.pk)
    return render(request, "attendance/session_edit.html", {"session": session, "form": form})


@login_required
def session_code(request, pk):
    """The rotating code and its QR image, for the projector; refreshes itself."""
    import segno

    session = _visible_session(request.user, pk)
    if not services.is_session_organiser(request.user, session):
        raise PermissionDenied
    now = timezone.now()
    code = services.sign_in_code(session, now)
    url = request.build_absolute_uri(reverse("attendance:sign_in_session", args=[session.pk]) + f"?code={code}")
    qr_svg = segno.make(url, error="m").svg_inline(scale=6)
    opens, closes = services.sign_in_window(session)
    return render(request, "attendance/session_code.html", {
        "session": session, "code": code, "qr_svg": qr_svg, "open": opens <= now <= closes,
        "opens": opens, "closes": closes,
        "refresh": services.CODE_PERIOD_SECONDS - int(now.timestamp()) % services.CODE_PERIOD_SECONDS,
    })


@login_required
def session_sheet(request, pk):
    """A blank sign-in sheet for paper days; results are entered afterwards."""
    session = _visible_session(request.user, pk)
    pdf = render_pdf("attendance/sign_in_sheet.html", {
        "session": session, "teachers": services.roster(session).select_related("organisation"),
    })
    return pdf_response(pdf, _("sign-in sheet %(date)s.pdf") % {"date": session.date})


@login_required
def sign_in_page(request):
    """A teacher types the six digits shown in the room."""
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _do_sign_in(request, None, form, lambda code: services.sign_in_with_code(user=request.user, code=code))
    return render(request, "attendance/sign_in.html", {"form": form})


@login_required
def sign_in_session(request, pk):
    """Where the QR code leads: the session is known, the code comes in the link.
    Only the session's roster, organiser and district staff learn what it is."""
    session = get_object_or_404(Session.objects.select_related("organisation"), pk=pk)
    if not services.may_see_sign_in(request.user, session):
        raise Http404
    form = SignInForm(request.POST or request.GET or None)
    if request.method == "POST" and form.is_valid():
        return _do_sign_in(request, session, form,
                           lambda code: services.sign_in(session=session, user=request.user, code=code))
    return render(request, "attendance/sign_in.html", {"form": form, "session": session})


def _do_sign_in(request, session, form, sign_in):
    try:
        attendance = sign_in(form.cleaned_data["code"])
    except ValidationError as error:
        add_validation_error(form, error)
        return render(request, "attendance/sign_in.html", {"form": form, "session": session}, status=400)
    return render(request, "attendance/signed_in.html", {"session": attendance.session, "attendance": attendance})


@login_required
def my_training(request):
    """A teacher's sessions, leave requests and projects open for application."""
    teacher = Teacher.objects.filter(user=request.user).select_related("organisation").first()
    if teacher is None:
        raise PermissionDenied
    leave_form = LeaveForm(request.POST or None)
    if request.method == "POST":
        session = get_object_or_404(Session, pk=parse_id(request.POST.get("session")))
        if not leave_form.is_valid():
            messages.error(request, _("Give a reason for the leave."))
            return redirect("attendance:me")
        try:
            services.leave_request(session=session, user=request.user, reason=leave_form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Leave request sent to your school."))
        return redirect("attendance:me")
    sessions = Session.objects.filter(pk__in=[
        s.pk for s in Session.objects.filter(date__gte=timezone.localdate() - timezone.timedelta(days=60))
        if services.roster(s).filter(pk=teacher.pk).exists()
    ]).select_related("project", "organisation")
    marks = {a.session_id: a for a in teacher.attendance.all()}
    leaves = {lr.session_id: lr for lr in teacher.leave_requests.all()}
    made_up = {m.session_id: m for m in teacher.make_ups.all()}
    enrolments = list(teacher.enrolments.select_related("project"))
    # Where the teacher stands on each project they are on: hours attended and made up (补学).
    standing = {e.pk: services.project_attendance(e.project, teacher) for e in enrolments
                if e.status == Enrolment.Status.CONFIRMED}
    return render(request, "attendance/me.html", {
        "teacher": teacher, "leave_form": LeaveForm(),
        "rows": [(s, marks.get(s.pk), leaves.get(s.pk), s.starts_at() > timezone.now(), made_up.get(s.pk))
                 for s in sessions],
        "enrolments": [(e, standing.get(e.pk)) for e in enrolments],
    })


@login_required
def leave_requests(request):
    if not request.user.is_school_officer:
        raise PermissionDenied
    pending = LeaveRequest.objects.filter(teacher__organisation_id=request.user.organisation_id).select_related(
        "teacher", "session")
    if request.method == "POST":
        leave = get_object_or_404(pending, pk=parse_id(request.POST.get("leave")))
        approve = _choice(request.POST, "decision", {"approve": True, "refuse": False})
        try:
            services.leave_decide(leave=leave, user=request.user, approve=approve)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Leave request answered."))
            return redirect("attendance:leave")
    return render(request, "attendance/leave.html", {"requests": pending.order_by("status", "-created_at")})


@login_required
def school_based(request):
    """A school's own training sessions, against its approved school-based plan."""
    user = request.user
    if not user.is_school_officer:
        raise PermissionDenied
    year = parse_year(request.GET.get("year") or timezone.localdate().year, required=True)
    plan = services.school_plan_for(user.organisation_id, year)
    form = SessionForm(request.POST or None, prefix="session")
    if request.method == "POST":
        if plan is None:
            raise PermissionDenied
        if form.is_valid():
            session = form.save(commit=False)
            session.school_plan, session.organisation = plan, user.organisation
            session.save()
            return redirect("attendance:session", pk=session.pk)
    sessions = Session.objects.filter(school_plan__organisation_id=user.organisation_id,
                                      school_plan__year=year)
    return render(request, "attendance/school_based.html", {
        "plan": plan, "form": form, "sessions": sessions, "year": year,
    })


