"""Writing the audit trail. Receivers (audit/receivers.py) call audit_record;
other code may too, for actions no model signal sees."""
import functools

from django.conf import settings
from django.utils import timezone, translation

from .middleware import RequestInfo, current_request_info
from .models import AuditEvent

FROM_REQUEST = object()  # actor default: whoever is signed in on the current request


def official_language(func):
    """Summaries are written in the district's language (settings.LANGUAGE_CODE),
    whatever language the acting user reads: the trail is an official record."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)
    return wrapper


def current_user():
    info = current_request_info()
    return info.user if info else None


def audit_record(*, action: str, summary, district_id=None, obj=None, object_type: str = "",
                 object_id="", actor=FROM_REQUEST, created_at=None, request=None) -> AuditEvent:
    """Record one event; client address and browser come from the current
    request (AuditContextMiddleware), or from `request` outside the middleware."""
    info = current_request_info()
    if info is None and request is not None:
        info = RequestInfo.from_request(request)
    if actor is FROM_REQUEST:
        actor = info.user if info else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditEvent.objects.create(
        created_at=created_at or timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        district_id=district_id,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        summary=str(summary),
        ip_address=info.ip_address if info else None,
        user_agent=info.user_agent if info else "",
    )
