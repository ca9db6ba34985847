"""The shared set-up of the URL-walking tests: one world per test module.

Building the world takes seconds, so it is built once per module inside a
transaction that is rolled back when the module ends; every request of the
tests runs in a savepoint of its own that is rolled back too (url_probe).
"""
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.test.utils import override_settings
from django.utils import translation

from tests.url_cases import build_cases
from tests.url_probe import Prober, scrape_form
from tests.url_world import build_url_world


@dataclass
class UrlEnv:
    world: object
    prober: Prober
    cases: list
    missing: list

    def cases_for(self, key):
        return [c for c in self.cases if c.key == key]

    def scrape(self, url, containing=None, *, actor="root"):
        outcome = self.prober.send(actor, "get", url)
        assert outcome.status == 200, f"{actor} GET {url}: {outcome.describe()}"
        try:
            return scrape_form(outcome.response.content.decode(), containing=containing)
        except AssertionError:
            return {}


@contextmanager
def plain_template_rendering():
    """Render templates without the test runner's instrumentation: these tests send
    thousands of requests and never read response.context (the copy of every
    context it makes costs about a third of a page's rendering)."""
    from django.template.base import Template
    from django.test.utils import _TestState

    instrumented = Template._render
    original = getattr(getattr(_TestState, "saved_data", None), "template_render", None)
    if original is not None:
        Template._render = original
    try:
        yield
    finally:
        Template._render = instrumented


@contextmanager
def url_environment(django_db_blocker, tmp_path_factory):
    from django.core.cache import caches

    def clear_caches():
        # Thousands of requests, some of them sign-in codes: a throttle kept in the cache
        # must not outlive the module (the database side is rolled back).
        for cache in caches.all():
            cache.clear()

    media = tmp_path_factory.mktemp("url-media")
    clear_caches()
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), translation.override("zh-hans"), \
            plain_template_rendering():
        with transaction.atomic():
            world = build_url_world()
            env = UrlEnv(world, Prober(world.users), [], [])
            env.cases, env.missing = build_cases(world, env.scrape)
            try:
                yield env
            finally:
                transaction.set_rollback(True)
                clear_caches()
