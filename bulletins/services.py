"""Issuing, withdrawing and reading bulletins and commendation lists; who may do what.

Issue: under the district's (city's) row lock, refuse a second standing document for the same
year (cycle), take the next number of the issuer's year, render the PDF once and keep it with
its checksum. The partial unique indexes stand behind the lock. Withdraw: with a reason, under
the same lock; the document is kept (who, when, why), and the year may be issued again.
"""
import functools
import hashlib
import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from accounts import regions
from accounts.models import City, District, Organisation, User
from core.pdf import print_html, render_pdf

from . import content as contents
from .models import MAX_WITHDRAW_REASON, Issued

logger = logging.getLogger(__name__)

TEMPLATE = "bulletins/print.html"
ERROR_ALREADY_ISSUED = gettext_lazy(
    "%(title)s was already issued on %(date)s by %(name)s (%(number)s). Withdraw it first, with a reason, "
    "to issue it again.")
ERROR_WITHDRAW_REASON = gettext_lazy("Give the reason for withdrawing.")
ERROR_WITHDRAW_REASON_LONG = gettext_lazy("The reason is too long (at most %(max)s characters).")
ERROR_WITHDRAWN = gettext_lazy("This document has already been withdrawn.")
ERROR_NO_CITY_BUREAU = gettext_lazy("%(city)s has no education bureau to issue the list.")
ERROR_YEAR_NOT_BEGUN = gettext_lazy("There is no bulletin for a year that has not begun.")
ERROR_NO_SCHOOLS = gettext_lazy("No school of the district has teachers in %(year)s: there is nothing to report.")
ERROR_NO_DISTRICTS = gettext_lazy("No district of %(city)s counts credits by this cycle.")
ERROR_CYCLE_NOT_OVER = gettext_lazy(
    "The %(first)s–%(last)s cycle is not over yet: its commendation list is issued once the cycle has ended.")


def official_language(func):
    """Titles, texts and PDFs in the district's language (settings.LANGUAGE_CODE), whatever
    language the officer reads or a script runs in: an issued document is an official record."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)
    return wrapper


# --- who may do what -----------------------------------------------------------------------------

def may_issue_bulletin(user: User) -> bool:
    """The bureau officers of a district issue its bulletin (一年一通报)."""
    return user.is_active and user.is_bureau_officer and user.district_id is not None


def may_issue_commendation(user: User) -> bool:
    """A city's officers issue its commendation list (一周期一表彰)."""
    return user.is_active and user.is_city_officer


def issued_visible(user: User) -> QuerySet[Issued]:
    """A district's bureau officers: its bulletins and their city's lists; city and province
    officers: those of the districts and cities below them (accounts.regions)."""
    issued = Issued.objects.select_related("district", "city", "issuer", "issued_by", "withdrawn_by")
    if user.is_bureau_officer and user.district_id is not None:
        district = user.organisation.district
        scope = Q(district_id=district.pk)
        if district.city_id is not None:
            scope |= Q(city_id=district.city_id)
        return issued.filter(scope)
    if user.is_regional_officer:
        return issued.filter(Q(district__in=regions.districts_overseen(user))
                             | Q(city__in=regions.cities_overseen(user)))
    return issued.none()


def may_view(user: User, issued: Issued) -> bool:
    return issued_visible(user).filter(pk=issued.pk).exists()


def may_withdraw(user: User, issued: Issued) -> bool:
    """Only the level that issued a document withdraws it (once: issued_withdraw refuses again)."""
    if issued.kind == Issued.Kind.BULLETIN:
        return may_issue_bulletin(user) and user.district_id == issued.district_id
    return may_issue_commendation(user) and user.organisation.city_id == issued.city_id


def districts_readable(user: User) -> QuerySet[District]:
    """The districts whose documents the user may list (one for a bureau officer)."""
    if user.is_bureau_officer and user.district_id is not None:
        return District.objects.filter(pk=user.district_id)
    return regions.districts_overseen(user)


# --- numbers -------------------------------------------------------------------------------------

def number_prefix(*, district: District | None = None, city: City | None = None) -> str:
    """The issuer's prefix: the district's filing prefix without its 备 (filing) — 建教师备 →
    建教师 — and for a city the first character of its name — 许昌市 → 许教师."""
    if district is not None:
        return district.filing_prefix.removesuffix("备")
    return f"{city.name[:1]}教师"


def _next_number(issuer: Organisation, prefix: str) -> tuple[str, int, int]:
    """The issuer's next number of this year (called under the lock; numbers of withdrawn
    documents are not used again)."""
    year = timezone.localdate().year
    last = Issued.objects.filter(issuer=issuer, number_year=year).order_by("-sequence").values_list(
        "sequence", flat=True).first()
    sequence = (last or 0) + 1
    return f"{prefix}〔{year}〕{sequence}号", year, sequence


# --- rendering -----------------------------------------------------------------------------------

def print_context(*, kind: str, content: dict, title: str, issuer_name: str, number: str = "",
                  issued_on=None, is_draft: bool) -> dict:
    return {"kind": kind, "c": content, "title": title, "issuer_name": issuer_name, "number": number,
            "issued_on": issued_on, "is_draft": is_draft}


def issued_context(issued: Issued) -> dict:
    return print_context(kind=issued.kind, content=issued.content, title=issued.title,
                         issuer_name=issued.issuer.name, number=issued.number,
                         issued_on=timezone.localtime(issued.issued_at).date(), is_draft=False)


@official_language
def render(context: dict) -> bytes:
    return render_pdf(TEMPLATE, context, metadata={"title": context["title"], "author": context["issuer_name"],
                                                   "subject": context["number"] or context["title"]})


@official_language
def preview_html(context: dict, *, stylesheet_url: str, csp_nonce: str = "") -> str:
    """The draft as a web page (the print layout, before downloading its PDF)."""
    return print_html(TEMPLATE, {**context, "csp_nonce": csp_nonce}, stylesheet_url=stylesheet_url)


def _store(issued: Issued, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    issued.sha256, issued.size = digest, len(data)
    issued.file.save(f"{issued.number_year}-{issued.sequence}-{digest[:16]}.pdf", ContentFile(data), save=False)


def _read_verified(issued: Issued) -> bytes | None:
    try:
        with issued.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError, ValueError):
        logger.warning("Issued %s: file %s is missing; rendering again", issued.pk, issued.file.name)
        return None
    if hashlib.sha256(data).hexdigest() != issued.sha256:
        logger.error("Issued %s: checksum mismatch in %s; rendering again", issued.pk, issued.file.name)
        return None
    return data


@official_language
def issued_pdf(issued: Issued) -> bytes:
    """The issued PDF from storage (checksum verified). A lost or damaged file is rendered again
    from the content kept at issue, so it says what was issued, and stored in its place."""
    data = _read_verified(issued)
    if data is not None:
        return data
    data = render(issued_context(issued))
    old_name = issued.file.name
    _store(issued, data)
    issued.save(update_fields=["file", "sha256", "size"])
    if old_name and old_name != issued.file.name:
        issued.file.storage.delete(old_name)
    return data


def pdf_filename(issued: Issued) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", f"{issued.number}{issued.title}") + ".pdf"


# --- drafts (preview) ----------------------------------------------------------------------------

@official_language
def bulletin_draft(*, user: User, year: int) -> dict:
    """The print context of the bulletin as it would be issued today (watermarked, no number)."""
    if not may_issue_bulletin(user):
        raise PermissionDenied
    district = user.organisation.district
    content = _bulletin_content(district, year)
    return print_context(kind=Issued.Kind.BULLETIN, content=content, title=contents.bulletin_title(year),
                         issuer_name=user.organisation.name, is_draft=True, issued_on=timezone.localdate())


@official_language
def commendation_draft(*, user: User, cycle: tuple[int, int]) -> dict:
    if not may_issue_commendation(user):
        raise PermissionDenied
    city = user.organisation.city
    content = _commendation_content(city, cycle)
    return print_context(kind=Issued.Kind.COMMENDATION, content=content,
                         title=contents.commendation_title(city.name, cycle),
                         issuer_name=city_bureau(city).name, is_draft=True, issued_on=timezone.localdate())


def _bulletin_content(district: District, year: int) -> dict:
    if year > timezone.localdate().year:
        raise ValidationError(ERROR_YEAR_NOT_BEGUN)
    content = contents.bulletin_content(district, year)
    if not content["rows"]:
        raise ValidationError(ERROR_NO_SCHOOLS % {"year": year})
    return content


def _commendation_content(city: City, cycle: tuple[int, int]) -> dict:
    content = contents.commendation_content(city, cycle)
    if not content["districts"]:
        raise ValidationError(ERROR_NO_DISTRICTS % {"city": city.name})
    return content


def city_bureau(city: City) -> Organisation:
    bureau = Organisation.objects.filter(city=city, kind=Organisation.Kind.BUREAU).order_by("pk").first()
    if bureau is None:
        raise ValidationError(ERROR_NO_CITY_BUREAU % {"city": city.name})
    return bureau


# --- issue and withdraw --------------------------------------------------------------------------

def _lock(*, district_id=None, city_id=None) -> None:
    """Issues and withdrawals of one district (city) wait for each other here (the row lock on
    PostgreSQL; SQLite serialises writers with IMMEDIATE transactions)."""
    if district_id is not None:
        District.objects.select_for_update().filter(pk=district_id).exists()
    else:
        City.objects.select_for_update().filter(pk=city_id).exists()


def _standing(kind: str, **place) -> Issued | None:
    return Issued.objects.filter(kind=kind, withdrawn_at__isnull=True, **place).select_related("issued_by").first()


def _already_issued(issued: Issued) -> ValidationError:
    return ValidationError(ERROR_ALREADY_ISSUED % {
        "title": issued.title, "number": issued.number, "name": issued.issued_by.display_name,
        "date": date_format(timezone.localtime(issued.issued_at), "DATE_FORMAT")})


def _issue(*, kind: str, place: dict, first_year: int, last_year: int, issuer: Organisation, prefix: str,
           title: str, content: dict, user: User) -> Issued:
    current = _standing(kind, first_year=first_year, **place)
    if current is not None:
        raise _already_issued(current)
    number, number_year, sequence = _next_number(issuer, prefix)
    issued = Issued(kind=kind, first_year=first_year, last_year=last_year, issuer=issuer, number=number,
                    number_year=number_year, sequence=sequence, title=title, content=content,
                    issued_by=user, issued_at=timezone.now(), **place)
    _store(issued, render(issued_context(issued)))
    try:
        with transaction.atomic():  # the unique indexes stand behind the lock
            issued.save()
    except IntegrityError:
        issued.file.storage.delete(issued.file.name)
        current = _standing(kind, first_year=first_year, **place)
        if current is not None:
            raise _already_issued(current) from None
        raise
    return issued


@official_language
@transaction.atomic
def bulletin_issue(*, user: User, year: int) -> Issued:
    """The district's bulletin of the year, issued by its bureau: numbered, rendered once, kept."""
    if not may_issue_bulletin(user):
        raise PermissionDenied
    district = user.organisation.district
    _lock(district_id=district.pk)
    current = _standing(Issued.Kind.BULLETIN, district=district, first_year=year)
    if current is not None:  # refused before the figures are counted
        raise _already_issued(current)
    return _issue(kind=Issued.Kind.BULLETIN, place={"district": district}, first_year=year, last_year=year,
                  issuer=user.organisation, prefix=number_prefix(district=district),
                  title=contents.bulletin_title(year), content=_bulletin_content(district, year), user=user)


@official_language
@transaction.atomic
def commendation_issue(*, user: User, cycle: tuple[int, int]) -> Issued:
    """The city's commendation list of a cycle, issued in the name of the city's bureau."""
    if not may_issue_commendation(user):
        raise PermissionDenied
    city = user.organisation.city
    _lock(city_id=city.pk)
    current = _standing(Issued.Kind.COMMENDATION, city=city, first_year=cycle[0])
    if current is not None:
        raise _already_issued(current)
    if not contents.cycle_over(city, cycle):
        raise ValidationError(ERROR_CYCLE_NOT_OVER % {"first": cycle[0], "last": cycle[1]})
    return _issue(kind=Issued.Kind.COMMENDATION, place={"city": city}, first_year=cycle[0], last_year=cycle[1],
                  issuer=city_bureau(city), prefix=number_prefix(city=city),
                  title=contents.commendation_title(city.name, cycle),
                  content=_commendation_content(city, cycle), user=user)


@transaction.atomic
def issued_withdraw(*, issued: Issued, user: User, reason: str) -> Issued:
    """Withdraw an issued document, with a reason, so that its year (cycle) may be issued again.
    It is kept, marked withdrawn (who, when, why); its number is not used again."""
    if not may_withdraw(user, issued):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ERROR_WITHDRAW_REASON})
    if len(reason) > MAX_WITHDRAW_REASON:
        raise ValidationError({"reason": ERROR_WITHDRAW_REASON_LONG % {"max": MAX_WITHDRAW_REASON}})
    _lock(district_id=issued.district_id, city_id=issued.city_id)
    issued = Issued.objects.get(pk=issued.pk)  # as it is now, under the lock
    if issued.withdrawn:
        raise ValidationError(ERROR_WITHDRAWN)
    issued.withdrawn_at, issued.withdrawn_by, issued.withdraw_reason = timezone.now(), user, reason
    issued.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    return issued
