"""Every state-changing URL, POSTed by everyone who must not use it, is refused
and changes nothing (issue 10: "a permission test that POSTs, not only GETs").

The URL list is the resolver's (tests/url_cases.py): the project's pages,
viewflow's task and process URLs of both flows (assign, unassign, execute,
cancel, undo, revive, bulk claim/release, process cancel) and the admin of
every registered model. Each is tried on an object of district A
(tests/url_world.py) in the state the action applies to, with the payload
its legitimate user would send, as each outsider: another school's officer,
staff of another district (bureau and training school), an expert assigned
to nothing, a teacher, another school's principal, and anonymous.

A refusal is 400/401/403/404/405/409/429, a redirect to a login page, a
redirect without a success message, or a page showing a form error or an
error message; never a 5xx, a 2xx that accepted the request, or a redirect
announcing success. And no row of any table may change (every table is
compared; sessions, login throttling and the audit log excepted).

A self-service URL (save an inbox filter, mark one's notices read) may change
the actor's own rows only. A read-only URL is POSTed by one outsider and must
change nothing. A task URL under another process's id answers 404 even to the
task's own user (issue 10 item 2).

`test_legitimate_user_succeeds` proves each payload would work (so a refusal
above is a refusal, not a broken payload), and `test_every_url_pattern_is_covered`
fails when a URL pattern is neither POST-tested nor listed as read-only with
a reason: a new URL must be added to tests/url_cases.py.

Every request runs in a savepoint that is rolled back (tests/url_probe.py), so
a failure that needs the request's own transaction to be missing (item 11) is
out of this test's reach.
"""
import pytest

from tests.url_cases import url_patterns
from tests.url_env import url_environment
from tests.url_probe import refusal_problem

pytestmark = pytest.mark.django_db
KEYS = sorted({pattern.key for pattern in url_patterns()})
READ_ONLY_PROBE = {False: "other_school_officer", True: "other_district_bureau"}


@pytest.fixture(scope="module")
def env(django_db_setup, django_db_blocker, tmp_path_factory):
    with url_environment(django_db_blocker, tmp_path_factory) as env:
        yield env


@pytest.fixture(autouse=True)
def _media_root():
    """The module's world keeps its own MEDIA_ROOT (url_env), not one per test."""


def _own_row(actor_user):
    def allowed(change):
        _label, pk, _what, row = change
        if actor_user is None:
            return False
        return row.get("user_id") == actor_user.pk or (_label == "accounts.User" and pk == actor_user.pk)
    return allowed


def test_every_url_pattern_is_covered(env):
    assert not env.missing, "URL patterns without a case:\n" + "\n".join(env.missing)


@pytest.mark.parametrize("key", KEYS)
def test_outsiders_are_refused(env, key):
    """POST as each outsider: refused, nothing written. Read-only URLs: nothing written."""
    failures = []
    for case in env.cases_for(key):
        # A read-only URL is POSTed by one outsider only (the admin's: a staff member of
        # another district): it must simply ignore the POST.
        actors = (READ_ONLY_PROBE[key.startswith("admin:")],) if case.get_only else case.actors
        for actor in actors:
            if actor in case.skip:
                continue
            outcome = env.prober.send(actor, "post", case.url, case.data or {})
            if case.get_only:
                problem = "server error" if outcome.status >= 500 else (
                    "changed the database" if outcome.changes or outcome.broken else None)
            else:
                allowed = _own_row(env.world.users.get(actor)) if case.own_rows_ok else None
                problem = refusal_problem(outcome, allowed, noop_ok=case.noop_ok)
            if problem:
                failures.append(f"{case.label} | POST {case.url} as {actor}: {problem}: {outcome.describe()}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("key", KEYS)
def test_legitimate_user_succeeds(env, key):
    """The same payload, sent by the user entitled to it, does change something:
    the refusals above are refusals, not broken payloads."""
    failures = []
    for case in env.cases_for(key):
        if case.get_only or not case.control or not case.legit:
            continue
        outcome = env.prober.send(case.legit, "post", case.url, case.data or {})
        if not outcome.changes or outcome.status >= 400:
            failures.append(f"{case.label} | POST {case.url} as {case.legit}: expected a change: "
                            f"{outcome.describe()}")
    assert not failures, "\n".join(failures)


def test_task_url_under_another_process_is_refused(env):
    """Issue 10 item 2: a task URL whose process id does not own the task answers 404,
    even for the task's own user (otherwise the lock is taken on the wrong process)."""
    from django.urls import reverse

    failures = []
    for case in env.cases:
        parts = case.key.split(":")
        if len(parts) != 3 or parts[2] not in ("assign", "unassign", "execute") or not case.control:
            continue
        other = next(c for c in env.cases if c.kwargs.get("process_pk") not in (None, case.kwargs["process_pk"])
                     and c.key.split(":")[0] == parts[0])
        url = reverse(case.key, kwargs={**case.kwargs, "process_pk": other.kwargs["process_pk"]})
        outcome = env.prober.send(case.legit, "post", url, case.data or {})
        if outcome.status != 404 or outcome.changes:
            failures.append(f"{case.label} | POST {url} as {case.legit}: expected 404 and nothing written: "
                            f"{outcome.describe()}")
    assert not failures, "\n".join(failures)
