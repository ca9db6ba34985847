"""Settings shared by every environment."""
import os
from pathlib import Path


# GENERAL ---------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

# APPS ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "axes",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "accounts",
    "jobs",
    "plans",
    "workflow",
    "printing",
    "schedule",
    "attendance",
    "credits",
    "exchange",
    "notices",
    "tracker",
    "oversight",
    "bulletins",
    "audit",
    "demo",
    # The Tasks API (django.tasks from Django 6) and its database queue. After "jobs", whose
    # db_worker command (with the recovery of lost workers' jobs) overrides the queue's own.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A path id too large for any column: 404 before a view queries it.
    "config.middleware.PathIdBoundsMiddleware",
    # Who acts and from which address, for the audit trail (audit/middleware.py).
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A first password printed or reset by an officer is changed before anything else.
    "accounts.middleware.MustChangePasswordMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every response: Content-Security-Policy (CONTENT_SECURITY_POLICY below).
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Last: counts failed logins and locks out (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workflow.context_processors.inbox_counts",
                "notices.context_processors.unread_notices",
            ],
            # templates/base.html's menu (config/menu.py); templates/_pager.html (core/paging.py).
            "libraries": {"menu": "config.menu", "paging": "core.paging"},
        },
    },
]

# DATABASES -------------------------------------------------------------------
# SQLite by default; DATABASE_URL=postgres://user:pass@host:port/name switches
# to PostgreSQL (production and the PostgreSQL half of the test suite).
from config.settings.database import database_from_env  # noqa: E402

DATABASES = {"default": database_from_env(BASE_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# No ATOMIC_REQUESTS (a key of each DATABASES entry; at the top level Django
# ignores it silently). Wrapping every request in a transaction would make
# SQLite's IMMEDIATE transactions take the write lock on every page view, and
# make PostgreSQL behave differently from SQLite. Instead every service that
# locks rows (select_for_update) or writes several rows runs inside its own
# transaction.atomic (tests/test_integrity__settings.py checks both).

# AUTH ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/address before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Organisation-wide rights (a school's staff see the school's documents)
    # are rules, not rows: see accounts/backends.py (before guardian: it may
    # refuse outright a permission guardian cannot answer).
    "accounts.backends.OrganisationScopeBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
GUARDIAN_RAISE_403 = True
# Five wrong passwords for one username from one address: locked out for an hour.
# The pair, not the address alone: others at the same address (a school's
# network, or everyone behind the reverse proxy) can still sign in.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address: REMOTE_ADDR, or the reverse proxy's header where
# CLIENT_ADDRESS_HEADER names one (production: DJANGO_CLIENT_ADDRESS_HEADER).
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
CLIENT_ADDRESS_HEADER = None
CLIENT_ADDRESS_PROXY_COUNT = 1
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
ANONYMOUS_USER_NAME = None  # no guardian anonymous user row

# CONTENT SECURITY POLICY -----------------------------------------------------
# Sent with every response by config.middleware.ContentSecurityPolicyMiddleware;
# "'nonce'" becomes the request's nonce (templates: nonce="{{ request.csp_nonce }}").
# No inline script at all; inline <style> elements only with the nonce (or, for
# the few in Django's admin and viewflow, by hash: config/csp.py). Inline style
# *attributes* cannot carry a nonce and viewflow's pages are full of them, so
# style-src-attr alone allows them: a style attribute cannot run script.
# (Django 6 builds this in as SECURE_CSP; this is the stand-in for 5.2.)
from config.csp import third_party_inline_hashes  # noqa: E402

_STYLE_HASHES, _HANDLER_HASHES = third_party_inline_hashes()
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce'"],
    # viewflow's "Back" buttons (onclick="window.history.back(-1)"), by hash.
    "script-src-attr": ["'unsafe-hashes'", *_HANDLER_HASHES],
    "style-src": ["'self'", "'nonce'", *_STYLE_HASHES],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# I18N ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# STATIC AND MEDIA ------------------------------------------------------------
from config.storage import default_storage_from_env  # noqa: E402

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Private files (attachments, certificates, stored PDFs): the local disk, or an S3-compatible
# store selected by STORAGE_S3_* environment variables (config/storage.py, README "Storage").
STORAGES = {
    "default": default_storage_from_env(os.environ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# UPLOADS ---------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Spreadsheet imports (core.xlsx.read_rows): larger files, or more data rows, are refused.
SPREADSHEET_IMPORT_MAX_BYTES = 5 * 1024 * 1024
SPREADSHEET_IMPORT_MAX_ROWS = 5000

# REVIEW ----------------------------------------------------------------------
# Default days a reviewer has for each step; the superuser overrides them in the
# admin (workflow.StepDeadline, the same for every district).
REVIEW_STEP_DAYS = {
    "initial_review": 7,
    "expert_review": 10,
    "filing": 5,
    "revise": 14,
}

# CREDITS ---------------------------------------------------------------------
# Which province's rule family a district counts credits by, unless the
# district's own record says otherwise (accounts.District.credit_rule_family).
DEFAULT_CREDIT_RULE_FAMILY = os.environ.get("CREDIT_RULE_FAMILY", "hunan")

# NOTICES --------------------------------------------------------------------
# Where the site is reached, for the links in notice emails (e.g.
# https://peixun.example.gov.cn); empty: the emails carry paths only.
NOTICES_SITE_URL = os.environ.get("SITE_URL", "")

# BACKGROUND WORK -------------------------------------------------------------
# Django's Tasks API (the django-tasks backport of django.tasks). The default queue is the
# database (django-tasks-db): `manage.py db_worker` runs a worker, on any number of machines
# against the same database; no other server. A larger installation may swap in Redis by
# settings alone (README, "Production"): TASKS_BACKEND=rq with django-tasks-rq installed.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
TASKS = {
    "database": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
    "immediate": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    "rq": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
}[TASKS_BACKEND]
# With TASKS_BACKEND=rq (django-tasks-rq and django-rq installed): Redis from REDIS_URL,
# workers `manage.py rqworker default --job-class django_tasks_rq.Job`.
RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
# A running job whose heartbeat (one per item) stopped this long ago lost its worker: any
# worker enqueues it again, at its start and every JOBS_RECOVER_EVERY seconds.
JOBS_STALE_AFTER = float(os.environ.get("JOBS_STALE_AFTER", "300"))
JOBS_RECOVER_EVERY = float(os.environ.get("JOBS_RECOVER_EVERY", "30"))
# Finished jobs (their rows, result files in storage, and the database queue's finished task
# rows) are deleted after this many days: `manage.py prune_jobs`, which every db_worker also
# runs at its start and every JOBS_PRUNE_EVERY seconds.
JOBS_KEEP_DAYS = float(os.environ.get("JOBS_KEEP_DAYS", "30"))
JOBS_PRUNE_EVERY = float(os.environ.get("JOBS_PRUNE_EVERY", "3600"))
# /healthz says "degraded" when a job (or task) has waited longer than this for a worker.
JOBS_HEALTH_MAX_WAIT = float(os.environ.get("JOBS_HEALTH_MAX_WAIT", "600"))
# /healthz trusts a storage probe that worked for this long (seconds): no object written per probe.
JOBS_HEALTH_STORAGE_SECONDS = float(os.environ.get("JOBS_HEALTH_STORAGE_SECONDS", "10"))
# Emails of notices: tries per address before giving up (a task, with a growing delay).
EMAIL_ATTEMPTS = 4
EMAIL_RETRY_DELAYS = [60, 300, 1800]

VIEWFLOW = {}
