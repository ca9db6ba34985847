"""The production settings pass Django's deployment checks, and logins are rate-limited."""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse


def test_check_deploy_with_production_settings_reports_nothing():
    env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
           "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": "x" * 30 + "-production-check-" + "y" * 20,
           "DJANGO_ALLOWED_HOSTS": "train.example.org", "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/train"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_login(world, client):
    url = reverse("login")
    for attempt in range(1, 6):
        response = client.post(url, {"username": "school_officer", "password": "wrong"})
        assert response.status_code == (429 if attempt == 5 else 200)
    response = client.post(url, {"username": "school_officer", "password": "test-pass-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_collectstatic_with_production_storage(tmp_path):
    """bin/serve runs collectstatic with hashed names; viewflow's assets must not stop it."""
    env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
           "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "s" * 60,
           "DJANGO_ALLOWED_HOSTS": "train.example.org", "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/train",
           "STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "print/document.css" in manifest and "css/app.css" in manifest
