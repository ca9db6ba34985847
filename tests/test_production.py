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
