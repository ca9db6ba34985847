from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from plans.views import get_visible_document

from . import services
from .models import Notice


def _own_notice(request, pk) -> Notice:
    # Someone else's notice is a 404: no hint that it exists.
    return get_object_or_404(Notice, pk=pk, user=request.user)


@login_required
def notice_list(request):
    notices = Notice.objects.filter(user=request.user).order_by("-created_at", "-pk")
    page = Paginator(notices, 25).get_page(request.GET.get("page"))
    return render(request, "notices/notice_list.html", {"page": page})


@login_required
def notice_open(request, pk):
    """Follow a notice's link, marking it read on the way."""
    notice = _own_notice(request, pk)
    services.notice_mark_read(notice=notice)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("notices:list")


@login_required
@require_POST
def notice_read(request, pk):
    services.notice_mark_read(notice=_own_notice(request, pk))
    return redirect(_back(request))


@login_required
@require_POST
def notice_read_all(request):
    services.notices_mark_all_read(user=request.user)
    return redirect(_back(request))


def _back(request) -> str:
    back = request.POST.get("next", "")
    # A local path only: "abc" would pass the host check and then be taken for a URL name.
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("notices:list")


@login_required
@require_POST
def document_urge(request, document_pk):
    """催办 from a document's page."""
    document = get_visible_document(request.user, document_pk)
    try:
        count = services.document_urge(document=document, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, ngettext(
            "Reminder sent to %(count)s person.", "Reminder sent to %(count)s people.", count,
        ) % {"count": count})
    return redirect("plans:detail", pk=document.pk)
