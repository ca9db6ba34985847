"""The workflow Site: viewflow's pages for every flow (/workflow/), each scoped
by its own app. It lives in config because it mounts flows of several apps
(workflow's review, credits' declarations) and config sits above them all."""
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from credits.viewsets import declaration_viewset, recognition_viewset
from workflow.viewsets import review_viewset

site = Site(title=_("Teacher training plan approval"),
            viewsets=[review_viewset(), declaration_viewset(), recognition_viewset()])
