import pytest
from django.test import Client
from django.utils import translation

from tests.factories import make_district


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _chinese():
    # Every test starts in the default language, as a district user would.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def world(db):
    return make_district()


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client
    return make
