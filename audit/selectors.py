import datetime
import ipaddress

from django.db.models import Q
from django.utils import timezone

from .models import AuditEvent


def event_list(*, user, date_from=None, date_to=None, action="", actor="", q=""):
    """The events of the user's district, newest first, filtered; two queries a page
    (count and rows), whatever the number of events."""
    events = AuditEvent.objects.filter(district_id=user.district_id) if user.district_id else AuditEvent.objects.none()
    if date_from:
        events = events.filter(created_at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(created_at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(Q(actor__username__iexact=actor) | Q(actor__full_name__icontains=actor))
    if q:
        match = Q(summary__icontains=q)
        try:
            match |= Q(ip_address=str(ipaddress.ip_address(q.strip())))
        except ValueError:
            pass
        events = events.filter(match)
    return events.select_related("actor").order_by("-created_at", "-pk")


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a local day (range filters keep the index usable)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
