"""Who is acting and from where, for recording code anywhere in the request.

AuditContextMiddleware (after AuthenticationMiddleware) puts the current
request's client address and browser into a contextvar; the user is read from
the request only when something is recorded, so pages that record nothing pay
no query for it.

The address is the one django-axes locks out by (core.client_address): REMOTE_ADDR,
or behind a reverse proxy the address the proxy saw, never one the client wrote
into X-Forwarded-For itself.
"""
import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from core.client_address import client_address

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


def client_ip(request) -> str | None:
    return client_address(request)


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
