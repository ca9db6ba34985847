"""Who is acting and from where, for recording code anywhere in the request.

AuditContextMiddleware (after AuthenticationMiddleware) puts the current
request's client address and browser into a contextvar; the user is read from
the request only when something is recorded, so pages that record nothing pay
no query for it.

The address is REMOTE_ADDR. Behind a reverse proxy that sets X-Forwarded-For,
set AUDIT_TRUST_X_FORWARDED_FOR = True to take the first address of that
header instead; never do so when clients can reach the app directly, as they
could then write any address into the trail.
"""
import contextlib
import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

USER_AGENT_MAX = 255


@dataclass(frozen=True)
class RequestInfo:
    request: object  # HttpRequest
    ip_address: str | None
    user_agent: str

    @classmethod
    def from_request(cls, request) -> "RequestInfo":
        return cls(request=request, ip_address=client_ip(request),
                   user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX])

    @property
    def user(self):
        """The signed-in user, or None."""
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


_current: ContextVar[RequestInfo | None] = ContextVar("audit_request_info", default=None)


def current_request_info() -> RequestInfo | None:
    return _current.get()


@contextlib.contextmanager
def request_info(info: RequestInfo | None):
    token = _current.set(info)
    try:
        yield info
    finally:
        _current.reset(token)


def _normalise(value: str) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = _normalise(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0])
        if forwarded:
            return forwarded
    return _normalise(request.META.get("REMOTE_ADDR", ""))


class AuditContextMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        with request_info(RequestInfo.from_request(request)):
            return self.get_response(request)

    async def __acall__(self, request):
        with request_info(RequestInfo.from_request(request)):
            return await self.get_response(request)
