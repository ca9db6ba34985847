"""Hostile review of issue #15 (helper h39), the URL matrix: the city officer and the province
officer above district A POST every state-changing URL of the project (kept in a module of its
own: its world lives in one module-wide transaction, tests/url_env.py)."""
import pytest

from tests.factories import make_region

pytestmark = pytest.mark.django_db


# --- the regional officers POST every state-changing URL of the district below them ----------

# What a regional officer may do by design (accounts.regions: overseeing is reading, plus these).
REGIONAL_ACTIONS = {
    "oversight:refresh": "asks for a recount of a district below (oversight.access.may_refresh)",
    "bulletins:commendation_new": "the city officer's own commendation list",
}
# Steps a recognition route gives the level itself (issue 15: credits confirmed up the chain);
# the other level's officer is still tried on them (tests/test_credits__recognition.py too).
ROUTE_STEPS = {"recognition:city_confirm": "city_officer", "recognition:province_confirm": "province_officer"}


def _route_step_of(case_key: str, actor: str) -> bool:
    return any(case_key.startswith(step) and actor == level for step, level in ROUTE_STEPS.items())


@pytest.fixture(scope="module")
def url_env(django_db_setup, django_db_blocker, tmp_path_factory):
    from tests.url_env import url_environment

    with url_environment(django_db_blocker, tmp_path_factory) as env:
        yield env


def _own_rows(user):
    def allowed(change):
        label, pk, _what, row = change
        return row.get("user_id") == user.pk or (label == "accounts.User" and pk == user.pk)
    return allowed


def test_regional_officers_change_nothing_of_the_districts_below(url_env):
    """Every state-changing URL of the project (tests/url_cases.py), on district A's objects,
    POSTed by the city officer above district A and by the province officer above it, with the
    legitimate user's payload: refused, nothing written (the POST matrix of
    test_permissions__post has no regional officer among its outsiders)."""
    from tests.url_probe import Prober, refusal_problem

    region = make_region(suffix="_h39")
    officers = {"city_officer": url_env.world.users["city_officer"], "province_officer": region.province_officer}
    assert url_env.world.a.district.city_id == region.city.pk
    prober = Prober(officers)
    failures, tried = [], 0
    for case in url_env.cases:
        if case.key in REGIONAL_ACTIONS or case.key.startswith("admin:"):
            continue
        for actor in officers:
            if _route_step_of(case.key, actor):
                continue
            outcome = prober.send(actor, "post", case.url, case.data or {})
            tried += 1
            if case.get_only:
                # Reading a document's PDF may keep its rendering (printing's cache, not data).
                changes = [c for c in outcome.changes if c[0] != "printing.StoredRendering"]
                problem = "server error" if outcome.status >= 500 else (
                    "changed the database" if changes or outcome.broken else None)
            else:
                allowed = _own_rows(officers[actor]) if case.own_rows_ok else None
                problem = refusal_problem(outcome, allowed, noop_ok=case.noop_ok)
            if problem:
                failures.append(f"{case.label} | POST {case.url} as {actor}: {problem}: {outcome.describe()}")
    assert tried > 100
    assert not failures, "\n".join(failures)
