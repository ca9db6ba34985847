"""/healthz for the load balancer: the database, the default storage (a tiny probe written,
read and deleted) and the age of the oldest waiting job. 200 {"status": "ok"} or 503 with
which check failed; no data of the installation, no login, GET/HEAD only."""
import logging
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


def check_storage() -> bool:
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
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503)
