from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import landing, process_board
from config.workflow_site import site
from jobs.health import healthz
from credits import close_views
from plans import urls as plans_urls
from schedule import urls as schedule_urls
from workflow import document_views

# A document's pages are plans'; its submit button starts the review, so its view is
# workflow's (plans sits below workflow), mounted here under the document's path and name.
documents = ([*plans_urls.urlpatterns,
              path("<int:pk>/submit/", document_views.document_submit, name="submit")], plans_urls.app_name)
# A project's close page shows its roster's results and the credits they give: credits' view
# (schedule and attendance sit below credits), under the project's path and schedule's name.
schedule = ([*schedule_urls.urlpatterns,
             path("projects/<int:pk>/close/", close_views.close_page, name="close")], schedule_urls.app_name)

urlpatterns = [
    path("", landing.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("documents/", include(documents)),
    path("inbox/", include("workflow.urls")),
    path("print/", include("printing.urls")),
    path("schedule/", include(schedule)),
    path("attendance/", include("attendance.urls")),
    path("credits/", include("credits.urls")),
    path("exchange/", include("exchange.urls")),
    path("notices/", include("notices.urls")),
    path("tracker/", include("tracker.urls")),
    path("rollups/", include("oversight.urls")),
    path("audit/", include("audit.urls")),
    path("people/", include("accounts.urls")),
    path("processes/", include(([
        path("", process_board.board, name="index"),
        path("<int:pk>/", process_board.process_detail, name="detail"),
    ], "process_board"))),
    path("workflow/", site.urls),
    path("jobs/", include("jobs.urls")),
    # For the load balancer: no login, no data (jobs/health.py).
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("bulletins/", include("bulletins.urls")),
]

handler400 = "config.errors.bad_request"
