"""Background work of oversight: refreshing a district's figures (the summary table).

A change that the figures count (credits recorded, a project closed or cancelled, a document
filed, a spot check drawn) asks for a refresh of its district and year once its transaction
commits (receivers); FiguresRefresh keeps one pending request per district and year, so a
burst of changes enqueues one task. ``manage.py refresh_figures`` is the nightly run."""
import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from accounts.models import District

# A request older than this whose task never ran (a worker lost it) is enqueued again.
STALE_AFTER = datetime.timedelta(minutes=30)


@task()
def refresh_figures(district_id: int, year: int) -> int:
    """Recount one district's year: the rows written."""
    from . import services
    from .models import FiguresRefresh

    # Dropped first: a change committed while this runs asks for another refresh.
    FiguresRefresh.objects.filter(district_id=district_id, year=year).delete()
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        return 0
    return len(services.figures_refresh(year=year, district=district))


def figures_request(district_id: int, year: int) -> bool:
    """Enqueue a refresh of the district's year unless one is already waiting: True if enqueued."""
    from .models import FiguresRefresh

    now = timezone.now()
    try:
        with transaction.atomic():
            FiguresRefresh.objects.create(district_id=district_id, year=year, requested_at=now)
    except IntegrityError:
        # Waiting already; enqueue again only if its task seems lost.
        if not FiguresRefresh.objects.filter(district_id=district_id, year=year,
                                             requested_at__lt=now - STALE_AFTER).update(requested_at=now):
            return False
    refresh_figures.enqueue(district_id, year)
    return True


def pending(district_id: int, year: int) -> bool:
    from .models import FiguresRefresh

    return FiguresRefresh.objects.filter(district_id=district_id, year=year).exists()
