"""/healthz for the load balancer: the database, the default storage (a tiny probe written,
read and deleted) and the age of the oldest waiting job. 503 when the database or the storage
fails: this server cannot serve. A queue that waits too long answers 200 with status
"degraded" and queue "late": the web servers are not at fault, and taking every one of them
out of the balancer would only make it worse; monitoring alerts on it. No data of the
installation, no login, GET/HEAD only."""
import logging
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .services import oldest_waiting_age

logger = logging.getLogger(__name__)
PROBE = b"healthz"


def check_database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


_storage_ok_at = 0.0  # when this process last saw the storage work (monotonic seconds)


def check_storage() -> bool:
    """Write, read and delete a probe; a success is trusted for JOBS_HEALTH_STORAGE_SECONDS, so
    a balancer probing every second (or anyone else) does not write an object per request."""
    global _storage_ok_at
    if time.monotonic() - _storage_ok_at < settings.JOBS_HEALTH_STORAGE_SECONDS:
        return True
    ok = _storage_probe()
    if ok:
        _storage_ok_at = time.monotonic()
    return ok


def _storage_probe() -> bool:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(PROBE))
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read() == PROBE
    finally:
        default_storage.delete(name)


def check_queue() -> bool:
    age = oldest_waiting_age()
    return age is None or age <= settings.JOBS_HEALTH_MAX_WAIT


CHECKS = {"database": check_database, "storage": check_storage, "queue": check_queue}


@never_cache
@require_safe
def healthz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = "ok" if check() else "fail"
        except Exception:  # noqa: BLE001 - any failure of a check is a failed check
            logger.exception("Health check %s failed", name)
            results[name] = "fail"
    if results["queue"] == "fail":
        results["queue"] = "late"
    serving = results["database"] == "ok" and results["storage"] == "ok"
    status = ("ok" if results["queue"] == "ok" else "degraded") if serving else "fail"
    return JsonResponse({"status": status, "checks": results}, status=200 if serving else 503)
