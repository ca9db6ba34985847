"""The app's URLs plus viewflow's stock pages of the review flow, for the benchmark only.

bench_scale.py measures our inbox beside viewflow's own inbox, queue and task list on
the same data. The app mounts viewflow's pages only through its scoped subclasses
(workflow/scoped_viewset.py), so the stock ones are mounted here, under /bench-stock/,
and never in the application. Mounting a flow's viewset makes it the flow's parent (the
namespace its links resolve in); the app's own viewset is put back as the parent, so
every page of the app links where it always does.
"""
from django.urls import path
from viewflow.urls import Site
from viewflow.workflow.flow.viewset import FlowAppViewset

from config.urls import urlpatterns as app_urlpatterns
from workflow.flows import ReviewFlow

STOCK_PREFIX = "bench-stock/"

_app_parent = ReviewFlow.parent
_stock_site = Site(title="viewflow stock (benchmark)", viewsets=[FlowAppViewset(ReviewFlow)])
_stock_patterns = _stock_site.urls
ReviewFlow.parent = _app_parent

urlpatterns = [*app_urlpatterns, path(STOCK_PREFIX, _stock_patterns)]

