"""Malformed parameters never make a page fail with a 5xx (issue 10: "a parameter
fuzz test that walks every URL pattern").

Every URL pattern of the resolver (tests/url_cases.py) is requested as its
legitimate user, so that the view's own logic is reached and not only its
permission check, with malformed

* path arguments: 0 and a 20-digit number for ids; letters, NUL, a very long
  string, ² and a path traversal for string arguments;
* query parameters (GET) and form fields (POST): the names the view actually
  reads (recorded while it answers a normal request, forms included), every
  request.GET/POST name its module mentions and a fixed list of common names,
  all at once with each malformed value (letters, a 20-digit number, -1,
  0001-01-01, 9999-12-31, empty, 10,000 characters, NUL and control
  characters, ², an off-site URL);
* each POSTed field alone, the rest of the form valid, following the redirect
  (an absurd value that is saved must not break the page that shows it):
  letters, a 20-digit number, -1 and 99,999.9 for ids and numbers,
  0001-01-01 and 9999-12-31 for dates, 25:99 for times, 10,000 characters for
  text; and field names that carry an id (t-<id>) with letters.

No response may be a 5xx, and no redirect may leave the site (a `back` or
`next` pointing elsewhere). A failure names the URL, the user, the parameter
and the value; the first of each is bisected down to the parameter at fault.
"""
import functools
import re
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.http import QueryDict
from django.urls import resolve, reverse

from tests.url_cases import url_patterns
from tests.url_env import url_environment

pytestmark = pytest.mark.django_db
KEYS = sorted({pattern.key for pattern in url_patterns()})

LONG = "x" * 10_000
# Every value, for every parameter at once.
VALUES = ["abc", "99999999999999999999", "-1", "0001-01-01", "9999-12-31", "", LONG, "a\x00\x01\x1f\r\n%00", "²",
          "https://evil.example/"]
# Path arguments (only digits reach an <int:…> view; anything reaches <str:…> and <path:…>).
PATH_INT_VALUES = ["0", "99999999999999999999"]
PATH_STR_VALUES = ["abc", "%00", "x" * 3000, "%C2%B2", "..%2F..%2Fetc"]
# The fixed list of common names, tried wherever the view reads any parameter.
COMMON_NAMES = {"pk", "id", "year", "month", "page", "tab", "kind", "organisation", "session", "leave", "item",
                "task", "tasks", "experts", "to", "filter", "recipient", "back", "next", "q", "date", "status",
                "teacher", "project", "school", "format"}
IGNORED_NAMES = {"csrfmiddlewaretoken"}
SELECTOR = re.compile(r"[a-z]+(_[a-z]+)*")
ID_IN_NAME = re.compile(r"([a-z]+-)\d+")
# Django's own formset bookkeeping, and formset rows after the first (the same fields
# again): fuzzed in the all-at-once round only.
MANAGEMENT = re.compile(r"-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
LATER_ROW = re.compile(r"-[1-9]\d*-")
NAME_IN_SOURCE = re.compile(
    r"""request\.(?:GET|POST)(?:\.get|\.getlist|\.pop)?\(\s*["']([\w-]+)["']"""
    r"""|request\.(?:GET|POST)\[\s*["']([\w-]+)["']\s*\]"""
    r"""|["']([\w-]+)["']\s+in\s+(?:request\.)?(?:GET|POST|action)\b""")
# Several URLs of one kind run the same code (viewflow's per-node task views, the
# admin's per-model views): the first pattern of each group is fuzzed in full,
# the others get one request with an impossible id.
GROUPED = re.compile(r"^(review|declaration|recognition):\w+:(\w+)$|^admin:\w+?_(changelist|add|change|delete|history)$"
                     r"|^admin:admin/\w+/\w+/<path:object_id>/()$")
FULLY_FUZZED_ADMIN = {"admin:attendance_completionrules_change", "admin:plans_document_changelist",
                      "admin:plans_document_delete", "admin:plans_document_history"}


@pytest.fixture(scope="module")
def env(django_db_setup, django_db_blocker, tmp_path_factory):
    with url_environment(django_db_blocker, tmp_path_factory) as env:
        yield env


@pytest.fixture(autouse=True)
def _media_root():
    """The module's world keeps its own MEDIA_ROOT (url_env), not one per test."""


# --- which parameters a view reads --------------------------------------------------------------

@contextmanager
def recording_names():
    """Names looked up on request.GET/POST while the block runs."""
    seen = set()
    patched = {}

    def wrap(name):
        original = getattr(QueryDict, name)

        def method(self, key, *args, **kwargs):
            if isinstance(self, QueryDict) and isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)
        return method

    for name in ("__getitem__", "get", "getlist", "pop", "__contains__"):
        patched[name] = QueryDict.__dict__.get(name)
        setattr(QueryDict, name, wrap(name))
    try:
        yield seen
    finally:
        for name, original in patched.items():
            if original is None:
                delattr(QueryDict, name)
            else:
                setattr(QueryDict, name, original)


_SOURCE_NAMES = {}


def names_in_source(url) -> set[str]:
    """request.GET/POST names mentioned in the module of the view that answers `url`."""
    path = urllib.parse.urlsplit(url).path
    callback = resolve(path).func
    module = getattr(getattr(callback, "view_class", None), "__module__", None) or callback.__module__
    if module not in _SOURCE_NAMES:
        import importlib

        names = set()
        try:
            source = Path(importlib.import_module(module).__file__).read_text()
        except (ImportError, OSError, TypeError):
            source = ""
        for match in NAME_IN_SOURCE.finditer(source):
            names.update(group for group in match.groups() if group)
        _SOURCE_NAMES[module] = names
    return _SOURCE_NAMES[module]


# --- sending and judging -------------------------------------------------------------------------

def _short(value) -> str:
    value = str(value)
    return repr(value if len(value) <= 24 else value[:12] + f"…({len(value)} chars)")


def problem_of(outcome) -> str | None:
    if outcome.status >= 500:
        return f"{outcome.status} {outcome.exception()}".strip()
    hops = [url for url, _status in getattr(outcome.response, "redirect_chain", [])]
    if 300 <= outcome.status < 400:
        hops.append(outcome.response.get("Location", ""))
    for hop in hops:
        target = urllib.parse.urlsplit(hop)
        if target.netloc not in ("", "testserver"):
            return f"redirects off-site to {target.geturl()[:60]}"
    return None


class Fuzzer:
    def __init__(self, env, case):
        self.env, self.case, self.failures = env, case, []
        self.actor = case.legit or "root"

    def send(self, method, url, data):
        return self.env.prober.send(self.actor, method, url, data, track=False)

    def check(self, method, url, data, what):
        problem = problem_of(self.send(method, url, data))
        if problem:
            self.failures.append(f"{method.upper()} {url[:120]} as {self.actor}, {what}: {problem}")
        return problem

    def all_at_once(self, method, url, base: dict, names: set):
        """Every name set to one malformed value; a failure is bisected to the names at fault."""
        if not names:
            return
        for value in VALUES:
            data = {**base, **{name: value for name in names}}
            problem = problem_of(self.send(method, url, data))
            if problem is None:
                continue
            culprits = self.bisect(method, url, base, sorted(names), value)
            if not culprits:  # only the combination fails
                self.failures.append(f"{method.upper()} {url[:120]} as {self.actor}, "
                                     f"all of {sorted(names)}={_short(value)}: {problem}")

    def bisect(self, method, url, base, names, value) -> list[str]:
        """The names that fail on their own (halving: a few requests, not one per name)."""
        if len(names) == 1:
            return [names[0]] if self.check(method, url, {**base, names[0]: value},
                                            f"{names[0]}={_short(value)}") else []
        half = len(names) // 2
        found = []
        for part in (names[:half], names[half:]):
            if problem_of(self.send(method, url, {**base, **{name: value for name in part}})):
                found += self.bisect(method, url, base, part, value)
        return found


def field_values(valid) -> list[str]:
    """Malformed values for one POSTed field, chosen by what its valid value looks like
    (letters, NUL and the rest are tried on every field in the all-at-once round)."""
    if isinstance(valid, list):
        return ["abc", "99999999999999999999"]
    text = str(valid)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return ["0001-01-01", "9999-12-31"]
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        return ["25:99"]
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        # An id or a number: letters, too big for any column, negative, and absurd but
        # within a form's digits (99,999.9 hours).
        return ["abc", "99999999999999999999", "-1", "99999.9"]
    return [LONG]


def _base_query(case) -> dict:
    return dict(urllib.parse.parse_qsl(case.query, keep_blank_values=True))


def _path(case) -> str:
    return case.url.split("?", 1)[0]


def _payload(case) -> dict:
    return case.data() if callable(case.data) else dict(case.data or {})


@functools.cache
def _patterns_by_key():
    return {p.key: p for p in url_patterns()}


def path_variants(case):
    """(url, description) with each path argument replaced by each malformed value."""
    pattern = _patterns_by_key()[case.key]
    for name, value in case.kwargs.items():
        converter = type(pattern.converters.get(name)).__name__
        sentinel = 987654321 if converter == "IntConverter" else "zqxsentinel"
        try:
            if pattern.name:
                url = reverse(pattern.name, kwargs={**case.kwargs, name: sentinel})
            else:
                url = case.url.replace(f"/{value}/", f"/{sentinel}/", 1)
        except Exception:
            continue
        values = PATH_INT_VALUES if converter == "IntConverter" else PATH_STR_VALUES
        for bad in values:
            query = f"?{case.query}" if case.query else ""
            yield url.replace(str(sentinel), bad, 1) + query, f"path {name}={_short(bad)}"


_FIELDS_DONE = set()


def fuzz_case(env, case, *, full=True) -> list[str]:
    fuzzer = Fuzzer(env, case)
    path, base = _path(case), _base_query(case)
    method = "get" if case.get_only else "post"
    payload = {} if case.get_only else _payload(case)

    # Path arguments, as GET (and POST for a state-changing URL).
    for url, what in path_variants(case):
        fuzzer.check("get", url, {}, what)
        if method == "post" and full:
            fuzzer.check("post", url, payload, what)
        if not full:
            break
    if not full:
        return fuzzer.failures

    # Query parameters: what the view reads on a normal GET, its module's names, the common ones.
    with recording_names() as seen:
        outcome = fuzzer.send("get", path, base)
    # A view that reads no query parameter on GET is not query-fuzzed (its module's
    # names belong to its POST branches, fuzzed below).
    names = (seen | set(base)) - IGNORED_NAMES
    if names:
        names |= COMMON_NAMES | names_in_source(path)
    if outcome.status < 500:
        fuzzer.all_at_once("get", path, base, names)
    else:
        fuzzer.failures.append(f"GET {case.url} as {fuzzer.actor}, no parameter changed: {problem_of(outcome)}")

    if method == "post":
        with recording_names() as seen:
            outcome = fuzzer.send("post", case.url, _payload(case))
        if outcome.status >= 500:
            fuzzer.failures.append(f"POST {case.url} as {fuzzer.actor}, the legitimate payload: "
                                   f"{problem_of(outcome)}")
        fields = {k for k, v in payload.items() if not hasattr(v, "read")}
        # Fields that choose the view's branch (action=hand_over, decision=approve) keep
        # their value in the all-at-once round, or every request would stop at "unknown action".
        selectors = {k for k in fields if isinstance(payload[k], str) and SELECTOR.fullmatch(payload[k])}
        names = (seen | fields | names_in_source(path)) - IGNORED_NAMES - selectors
        fuzzer.all_at_once("post", case.url, {k: v for k, v in payload.items() if k not in names}, names)
        # Field names that carry an id (t-<teacher id> in the roll call): letters and a huge id.
        for field in sorted(fields):
            match = ID_IN_NAME.fullmatch(field)
            for bad in (["abc", "99999999999999999999"] if match else []):
                data = {k: v for k, v in _payload(case).items() if k != field}
                data[match.group(1) + bad] = payload[field]
                fuzzer.check("post", case.url, data, f"field name {match.group(1) + bad}")
        # One field at a time, the rest valid, following the redirect: an absurd value that is
        # accepted must not break the page that shows it (issue 10 item 10). Once per form.
        signature = (tuple(sorted(fields)), case.legit)
        if signature in _FIELDS_DONE:
            return fuzzer.failures
        _FIELDS_DONE.add(signature)
        for field in sorted(fields):
            if MANAGEMENT.search(field) or LATER_ROW.search(field):
                continue
            for value in field_values(payload[field]):
                data = {**_payload(case), field: value}
                outcome = fuzzer.env.prober.send(fuzzer.actor, "post", case.url, data, track=False, follow=True)
                problem = problem_of(outcome)
                if problem:
                    chain = " → ".join(url for url, _status in outcome.response.redirect_chain)
                    fuzzer.failures.append(f"POST {case.url} as {fuzzer.actor}, {field}={_short(value)} "
                                           f"(rest of the form valid){' → ' + chain if chain else ''}: {problem}")
    return fuzzer.failures


def _group_leaders():
    leaders = {}
    for key in KEYS:
        match = GROUPED.match(key)
        if match:
            flow, action, view, _redirect = match.groups()
            leaders.setdefault((flow or "admin", action or view or "redirect"), key)
    return set(leaders.values())


LEADERS = _group_leaders()


@pytest.mark.parametrize("key", KEYS)
def test_malformed_parameters_never_fail_with_5xx(env, key):
    cases = [c for c in env.cases_for(key) if c.legit]
    full = not GROUPED.match(key) or key in LEADERS or key in FULLY_FUZZED_ADMIN
    failures = []
    seen_urls = set()
    for case in cases:
        # One GET fuzz per URL; every POST case (each is its own branch of the view).
        if (case.get_only and case.url in seen_urls) or not case.fuzz:
            continue
        seen_urls.add(case.url)
        failures += fuzz_case(env, case, full=full)
        if not full:
            break
    assert not failures, f"{key}:\n" + "\n".join(failures)
