"""Settings that hold: no setting where Django ignores it, locks inside
transactions (催办 on PostgreSQL), logins locked per user and address also
behind a proxy, and a Content-Security-Policy on every response."""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.db.models.query import QuerySet
from django.db.transaction import TransactionManagementError
from django.test import Client
from django.urls import reverse

from notices.models import Notice
from tests.factories import PASSWORD, make_district, make_school_plan
from tests.flow_helpers import submit

# Keys of a DATABASES entry that Django reads there only: at the top level of
# the settings they are silently ignored (ATOMIC_REQUESTS was, item 11).
DATABASE_ONLY_KEYS = {"ATOMIC_REQUESTS", "AUTOCOMMIT", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS",
                      "DISABLE_SERVER_SIDE_CURSORS"}
SETTINGS_DIR = Path(settings.BASE_DIR) / "config" / "settings"


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    names.add(name.id)
    return names


@pytest.mark.parametrize("path", sorted(SETTINGS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_database_only_key_at_the_top_level_of_any_settings_module(path):
    assert not _top_level_names(path) & DATABASE_ONLY_KEYS, path


def test_no_database_only_key_at_the_top_level_of_the_active_settings():
    assert not {key for key in DATABASE_ONLY_KEYS if hasattr(settings, key)}


# 催办 outside a request-wide transaction (item 11) -------------------------------

@pytest.fixture
def locks_need_a_transaction(monkeypatch):
    """select_for_update outside transaction.atomic fails here on SQLite too,
    as it does on PostgreSQL (SQLite alone would let it pass)."""
    original = QuerySet.select_for_update

    def checked(self, *args, **kwargs):
        if not transaction.get_connection(self.db).in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", checked)


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_urge_works_without_a_request_transaction(locks_need_a_transaction):
    world = make_district()
    document = make_school_plan(world)
    author = _client(world.school_officer)
    assert submit(author, document).status_code == 302

    response = author.post(reverse("notices:urge", args=[document.pk]))

    assert response.status_code == 302
    assert [m.level for m in get_messages(response.wsgi_request)][-1] == constants.SUCCESS
    assert Notice.objects.filter(kind=Notice.Kind.URGE, user=world.training_officer).count() == 1
    # The same day again: a clear refusal, still no 500.
    response = author.post(reverse("notices:urge", args=[document.pk]))
    assert response.status_code == 302
    assert [m.level for m in get_messages(response.wsgi_request)][-1] == constants.ERROR
    assert Notice.objects.filter(kind=Notice.Kind.URGE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_submit_and_edit_lock_inside_their_own_transactions(locks_need_a_transaction):
    from tests.test_integrity__documents import edit_data

    world = make_district()
    document = make_school_plan(world)
    author = _client(world.school_officer)
    data = edit_data(author, document, **{"doc-title": "改过的标题"})
    assert author.post(reverse("plans:edit", args=[document.pk]), data).status_code == 302
    assert submit(author, document).status_code == 302
    document.refresh_from_db()
    assert document.title == "改过的标题" and document.status == "initial_review"


# django-axes: user and address, also behind a proxy (item 16) -------------------

def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_wrong_passwords_for_one_user_do_not_lock_out_another_at_the_same_address(world):
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    attacker = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, world.school_officer.username, "wrong")
    assert _login(attacker, world.school_officer.username, PASSWORD).status_code == 429

    colleague = Client(REMOTE_ADDR="192.0.2.10")
    response = _login(colleague, world.principal.username, PASSWORD)
    assert response.status_code == 302 and colleague.session["_auth_user_id"] == str(world.principal.pk)
    # The locked user from another address is not locked either.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert _login(elsewhere, world.school_officer.username, PASSWORD).status_code == 302


PROXY = "10.0.0.1"


@pytest.mark.django_db
def test_behind_the_proxy_the_lockout_follows_the_clients_address(world, settings):
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_ADDRESS_PROXY_COUNT = 1

    def via_proxy(client_address, spoofed=""):
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new address of its own into each request: the
        # proxy appends the real one, which is what counts.
        _login(via_proxy("203.0.113.9", spoofed=f"192.0.2.{n}"), world.school_officer.username, "wrong")
    assert _login(via_proxy("203.0.113.9", spoofed="192.0.2.99"), world.school_officer.username,
                  PASSWORD).status_code == 429
    # The real user, at school, through the same proxy: not locked out.
    assert _login(via_proxy("198.51.100.7"), world.school_officer.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("meta, expected", [
    ({"REMOTE_ADDR": PROXY}, PROXY),
    ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "203.0.113.9"),
    ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}, "203.0.113.9"),
    ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not-an-address"}, PROXY),
    ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"}, "2001:db8::1"),
])
def test_client_address_from_the_proxy_header(settings, rf, meta, expected):
    from core.client_address import client_address

    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    request = rf.get("/", **{k: v for k, v in meta.items() if k != "REMOTE_ADDR"})
    request.META["REMOTE_ADDR"] = meta["REMOTE_ADDR"]
    assert client_address(request) == expected


def test_client_address_ignores_the_header_unless_configured(settings, rf):
    from core.client_address import client_address

    settings.CLIENT_ADDRESS_HEADER = None
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    request.META["REMOTE_ADDR"] = PROXY
    assert client_address(request) == PROXY


def _production_setting(name, **env):
    env = {**{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",
                                                                 "DJANGO_CLIENT_ADDRESS_HEADER")},
           "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "s" * 60,
           "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/train", **env}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; "
                               f"print(repr(settings.{name}))"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_production_reads_the_proxy_header_from_the_environment():
    assert _production_setting("CLIENT_ADDRESS_HEADER") == "None"
    assert _production_setting("CLIENT_ADDRESS_HEADER", DJANGO_CLIENT_ADDRESS_HEADER="X-Real-IP") == "'HTTP_X_REAL_IP'"
    assert _production_setting("CLIENT_ADDRESS_PROXY_COUNT", DJANGO_CLIENT_ADDRESS_HEADER="X-Forwarded-For",
                               DJANGO_PROXY_COUNT="2") == "2"


# Content-Security-Policy (item 16) --------------------------------------------

def _policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_kind_of_response_carries_the_policy(world, client_for, client):
    document = make_school_plan(world)
    officer = client_for(world.school_officer)
    responses = [
        client.get(reverse("login")),                                      # anonymous page
        client.get(reverse("plans:list")),                                 # redirect to login
        officer.get(reverse("plans:list")),
        officer.get(reverse("plans:detail", args=[document.pk])),
        officer.get(reverse("plans:edit", args=[document.pk])),
        officer.get(reverse("plans:detail", args=[999999])),               # 404
        client_for(world.teacher).get(reverse("plans:create", args=["school_plan"])),  # 403
        officer.get(reverse("plans:list"), {"organisation": "x"}),
        officer.get("/workflow/"),                                          # viewflow's pages
    ]
    for response in responses:
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], response
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert "'unsafe-inline'" not in policy["style-src"]


@pytest.mark.django_db
def test_the_nonce_is_fresh_for_each_request_and_names_the_pages_inline_style(world, client_for):
    officer = client_for(world.school_officer)
    first, second = (officer.get(reverse("plans:list")) for _ in range(2))
    nonces = [re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22
    assert f"'nonce-{nonces[0]}'" in _policy(first)["script-src"]


# Rendered only into PDFs by WeasyPrint, never shown by a browser.
PDF_ONLY_TEMPLATES = {"attendance/sign_in_sheet.html", "schedule/schedule_print.html", "credits/record.html"}


def test_project_templates_have_no_inline_script_and_style_only_with_the_nonce():
    templates = Path(settings.BASE_DIR) / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", source), path  # onclick=, onchange=, ...
        assert "javascript:" not in source, path
        if path.relative_to(templates).as_posix() not in PDF_ONLY_TEMPLATES:
            for tag in re.findall(r"<style\b[^>]*>", source):
                assert "nonce" in tag, (path, tag)


@pytest.mark.django_db
def test_inline_styles_on_browser_pages_carry_the_requests_nonce(world, client_for):
    import datetime

    from django.utils import timezone

    from tests.attendance_helpers import make_project, make_session

    document = make_school_plan(world)
    now = timezone.localtime()
    session = make_session(make_project(world), date=now.date(), start=datetime.time(0, 0),
                           end=datetime.time(23, 59), hours="2")
    pages = [
        (client_for(world.school_officer), reverse("printing:preview", args=[document.pk])),
        (client_for(world.training_officer), reverse("attendance:session_code", args=[session.pk])),
        (client_for(world.school_officer), "/workflow/review/"),  # Turbo's progress bar takes it from a meta tag
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        body = response.content.decode()
        assert f'nonce="{nonce}"' in body or f'name="csp-nonce" content="{nonce}"' in body, url


def test_the_third_party_inline_bits_are_allowed_by_hash():
    from config.csp import third_party_inline_hashes

    styles, handlers = third_party_inline_hashes()
    assert styles and handlers  # found in the installed viewflow and admin templates
    assert set(styles) <= set(settings.CONTENT_SECURITY_POLICY["style-src"])
    assert set(handlers) <= set(settings.CONTENT_SECURITY_POLICY["script-src-attr"])
