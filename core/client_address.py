"""The client's address, also behind a reverse proxy (used by django-axes).

Behind a proxy REMOTE_ADDR is the proxy, so every user would share one
address and one user's wrong passwords would count against everyone.
settings.CLIENT_ADDRESS_HEADER names the request.META key the proxy writes the
client's address into ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP"); production
sets it only when told to (DJANGO_CLIENT_ADDRESS_HEADER), since a client that
reaches the app directly could write any address into such a header.

X-Forwarded-For is a list each proxy appends to, and a client may send one of
its own: the address our outermost proxy saw is the CLIENT_ADDRESS_PROXY_COUNT-th
entry from the right, never the left-most.

(axes 8 can do this through django-ipware and its AXES_IPWARE_* settings, but
django-ipware is not installed, and without it axes ignores those settings and
reads REMOTE_ADDR; AXES_CLIENT_IP_CALLABLE points here instead.)
"""
import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request) -> str | None:
    header = getattr(settings, "CLIENT_ADDRESS_HEADER", None)
    if header:
        entries = [e for e in request.META.get(header, "").split(",") if e.strip()]
        count = max(1, int(getattr(settings, "CLIENT_ADDRESS_PROXY_COUNT", 1)))
        if len(entries) >= count:
            address = _address(entries[-count])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR", "")) or request.META.get("REMOTE_ADDR")
