"""Send one request inside a rolled-back savepoint and say what it did.

`Prober.send()` runs a request as a logged-in actor, notes every row it wrote
(compared with a snapshot of every model's rows taken once), then rolls the
request back so the shared world stays as built. `refusal_problem()` says
whether a response is a clean refusal. `scrape_form()` reads a page's form
the way a browser would submit it.
"""
import hashlib
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

from django.apps import apps
from django.conf import settings
from django.contrib import messages as django_messages
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

# Rows a refused request may legitimately write: sessions, login throttling and
# the audit log (refusals may be recorded).
IGNORED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog",
                  "axes_accessattemptexpiration", "audit_auditevent"}
IGNORED_COLUMNS = {"last_login"}
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?([\w.]+)"?', re.IGNORECASE)
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
REFUSAL_STATUSES = {400, 401, 403, 404, 405, 409, 429}


def _models():
    return [m for m in apps.get_models(include_auto_created=True)
            if not m._meta.proxy and m._meta.managed and m._meta.db_table not in IGNORED_TABLES]


def snapshot() -> dict:
    """{model label: {pk: digest of the row}} for every table that matters."""
    result = {}
    for model in _models():
        columns = [f.attname for f in model._meta.concrete_fields if f.attname not in IGNORED_COLUMNS]
        rows = {}
        for values in model._base_manager.order_by().values_list(*columns):
            row = dict(zip(columns, values))
            pk = row.get(model._meta.pk.attname)
            rows[pk] = (hashlib.sha1(repr(sorted(row.items())).encode()).hexdigest(), row)
        result[model._meta.label] = rows
    return result


def diff(before: dict, after: dict) -> list[tuple[str, object, str, dict]]:
    """[(model label, pk, 'added'|'removed'|'changed', row)]."""
    changes = []
    for label, rows in after.items():
        old = before.get(label, {})
        for pk, (digest, row) in rows.items():
            if pk not in old:
                changes.append((label, pk, "added", row))
            elif old[pk][0] != digest:
                changes.append((label, pk, "changed", row))
        for pk in old.keys() - rows.keys():
            changes.append((label, pk, "removed", old[pk][1]))
    return changes


def written_tables(queries) -> set[str]:
    tables = set()
    for query in queries:
        match = WRITE.match(query["sql"])
        if match:
            tables.add(match.group(2).strip('"'))
    return tables - IGNORED_TABLES


@dataclass
class Outcome:
    response: object
    changes: list = field(default_factory=list)
    broken: str = ""  # the request left the transaction unusable (PostgreSQL)

    @property
    def status(self):
        return self.response.status_code

    def exception(self) -> str:
        info = getattr(self.response, "exc_info", None)
        if not info:
            return ""
        return f"{info[0].__name__}: {str(info[1])[:200]}"

    def message_levels(self) -> list[int]:
        request = getattr(self.response, "wsgi_request", None)
        storage = getattr(request, "_messages", None)
        if storage is None:
            return []
        try:
            return [m.level for m in storage]
        except Exception:
            return []

    def shows_error(self) -> bool:
        """A form error or an error/warning message: the user was told no."""
        if any(level >= django_messages.WARNING for level in self.message_levels()):
            return True
        content_type = self.response.get("Content-Type", "")
        if "html" in content_type and not getattr(self.response, "streaming", False):
            body = self.response.content
            return b'class="errorlist' in body or b'class="errornote' in body
        return False

    def describe(self) -> str:
        text = f"{self.status}"
        if 300 <= self.status < 400:
            text += f" → {self.response.get('Location', '')}"
        if self.exception():
            text += f" [{self.exception()}]"
        if self.broken:
            text += f" [transaction broken: {self.broken}]"
        if self.changes:
            shown = ", ".join(f"{label}#{pk} {what}" for label, pk, what, _row in self.changes[:6])
            more = f" (+{len(self.changes) - 6} more)" if len(self.changes) > 6 else ""
            text += f" wrote: {shown}{more}"
        return text


def refusal_problem(outcome: Outcome, allowed_change=None, *, noop_ok=False) -> str | None:
    """None when the response is a clean refusal that changed nothing, else what is wrong.

    Refusals: 400/401/403/404/405/409/429, a redirect to a login page, a
    redirect that carries no success message (a no-op), or a page that shows
    a form error or an error message. Never: a 5xx, a changed row, a 2xx page
    that accepted the request, or a redirect announcing success.

    allowed_change(change) marks rows the actor may change (their own, for a
    self-service URL): a request that changed only those is not judged by
    its status. noop_ok: a 2xx that changed nothing is fine (the view ignores
    the POST, e.g. an admin changelist without the action).
    """
    if outcome.broken:
        return "changed the database"
    if outcome.status >= 500:
        return "server error"
    changes = [c for c in outcome.changes if not (allowed_change and allowed_change(c))]
    if changes:
        return "changed the database"
    if allowed_change and outcome.changes:
        return None  # self-service on the actor's own rows
    status = outcome.status
    if status in REFUSAL_STATUSES:
        return None
    if 300 <= status < 400:
        location = outcome.response.get("Location", "")
        if any(path in location for path in LOGIN_PATHS):
            return None
        levels = outcome.message_levels()
        if any(django_messages.SUCCESS <= level < django_messages.WARNING for level in levels) and \
                not any(level >= django_messages.WARNING for level in levels):
            return "redirected with a success message"
        return None
    if 200 <= status < 300:
        return None if (noop_ok or outcome.shows_error()) else "answered 2xx without refusing"
    return f"unexpected status {status}"


class Prober:
    """Clients per actor, logged in once; every request rolled back."""

    def __init__(self, users: dict, *, raise_request_exception=False):
        self.users = users
        self.clients = {}
        self.cookies = {}
        self.raise_request_exception = raise_request_exception
        for name, user in users.items():
            client = Client(raise_request_exception=raise_request_exception)
            if user is not None:
                client.force_login(user)
            self.clients[name] = client
            self.cookies[name] = client.cookies.get(settings.SESSION_COOKIE_NAME)
        self.baseline = snapshot()

    def client(self, actor) -> Client:
        client = self.clients[actor]
        # The same session every time (a logout or a rolled-back rotation must not leak
        # into the next request), and no messages left over from the last one.
        client.cookies = SimpleCookie()
        if self.cookies[actor] is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.cookies[actor].value
        return client

    def send(self, actor, method, url, data=None, *, track=True, **extra) -> Outcome:
        client = self.client(actor)
        if callable(data):
            data = data()
        with transaction.atomic():
            with (CaptureQueriesContext(connection) if track else nullcontext()) as queries:
                if method == "get":
                    response = client.get(url, data or {}, **extra)
                else:
                    response = client.post(url, data or {}, **extra)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)  # run the generator inside the savepoint
            outcome = Outcome(response)
            if track and written_tables(queries.captured_queries):
                try:
                    outcome.changes = diff(self.baseline, snapshot())
                except DatabaseError as error:
                    outcome.broken = f"{type(error).__name__}: {str(error)[:120]}"
            transaction.set_rollback(True)
        return outcome


# --- reading a form off a page, as a browser would submit it ------------------------------

class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"attrs": attrs, "fields": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["fields"].append((name, attrs.get("value", "on")))
                return
            self._form["fields"].append((name, attrs.get("value", "") or ""))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": [], "selected": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["options"].append(value)
            if "selected" in attrs:
                self._select["selected"].append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select["selected"] or ([] if select["multiple"] else select["options"][:1])
            for value in chosen:
                self._form["fields"].append((select["name"], value))
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._textarea = None
            self._form["fields"].append((name, text[1:] if text.startswith("\n") else text))


def scrape_form(html: str, *, containing: str | None = None) -> dict:
    """The fields of the first POST form (with a field named `containing`, if given),
    as {name: value or [values]} ready for Client.post."""
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if (form["attrs"].get("method") or "get").lower() != "post":
            continue
        if any(word in (form["attrs"].get("action") or "") for word in ("logout", "setlang")):
            continue  # the page header's forms, not the page's own
        names = [name for name, _value in form["fields"]]
        if containing and containing not in names:
            continue
        data = {}
        for name, value in form["fields"]:
            if name == "csrfmiddlewaretoken":
                continue
            if name in data:
                data[name] = (data[name] if isinstance(data[name], list) else [data[name]]) + [value]
            else:
                data[name] = value
        return data
    raise AssertionError(f"no POST form{' with ' + containing if containing else ''} on the page")
