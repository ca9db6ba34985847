"""Scale benchmark: a province-sized data set on PostgreSQL, the app under gunicorn, wrk.

    .venv/bin/python bench/bench_scale.py --scale 0.1     # quick: 2 districts, 10,000 teachers (~2 min)
    .venv/bin/python bench/bench_scale.py --scale 1       # 20 districts, 2,000 schools, 100,000 teachers,
                                                          # 50,000 documents, ~1,000,000 attendance marks

Run by hand (not part of the test suite), as root or as a user who may run
PostgreSQL's initdb (root runs it as `postgres` through runuser). It needs wrk
(`apt-get install -y wrk`; installed on the fly when root) and PostgreSQL's
server binaries (/usr/lib/postgresql/*/bin). Traffic stays on 127.0.0.1.

What it does, and undoes:

1. starts a throwaway PostgreSQL cluster in a temporary directory (random free
   port on 127.0.0.1, fsync off), migrates one template database, and fills
   copies of it with bench/scale_data.py (COPY, not the web flow): the main data
   set at --scale, and two small ones for counting queries (--count-base and
   ten times that, all in one district so every page's lists grow tenfold);
2. counts SQL queries per page with Django's test client in this process
   (CaptureQueriesContext), on the small data set, the tenfold one and the main
   one, and flags every page whose count grows;
3. serves the main data set with gunicorn (config.settings.production through
   bench/settings_bench.py, 2 x cores + 1 workers, DJANGO_SECURE_SSL_REDIRECT=0,
   ALLOWED_HOSTS 127.0.0.1) on a random loopback port, logs real users in
   through the login form (django-axes is active: one correct login each), and
   runs wrk on each page (bounded: --duration seconds, --connections, after a
   short warm-up): requests/s, p50, p95 and the ratio to the baseline page;
4. stops gunicorn and PostgreSQL and deletes the temporary directory, also on
   errors and Ctrl-C (--keep leaves the cluster's directory for a look).

5. prints issue 14's table again (task inbox, school credit view, school
   attendance report, PDF of the filed annual plan: in process, of which SQL,
   outside SQL, one-connection p50/p95, x baseline), the stored PDF's download
   against a fresh rendering, and our inbox and task list beside viewflow's
   stock inbox, queue and task list of the same flow (mounted for the
   benchmark only by bench/urls_bench.py).

6. with --two-servers (the default): two gunicorn instances on different
   loopback ports and one db_worker on the same main database and media
   directory (bench/bench_two_servers.py's two_servers()): a batch started
   through A is followed and downloaded through B, a file uploaded through A is
   downloaded through B, and B's inbox p95 without and with a batch running, in
   one table at the end of the same output. (bench/bench_two_servers.py alone
   runs the same part on its own data with moto's S3 server as the storage.)

Targets: queries per page do not grow with the data; the inbox and the
document list answer with p95 under 100 ms; each page of issue 14's table
spends at most 25 ms outside its SQL in process; the stored PDF downloads in
under a tenth of a fresh rendering; our pages are faster than viewflow's stock ones.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk_report.lua"
P95_TARGET_MS = 100
P95_TARGET_PAGES = {"inbox", "documents"}
OUTSIDE_SQL_TARGET_MS = 25
# Requests timed per page in process, after one warm-up and one counted request: the median of
# eleven (five let one busy moment of the machine move a page's figure by a third).
TIMED_REQUESTS = 11
# Issue 14's table (main before the issue, scale 0.1): in process / SQL / p50 / p95 / x baseline.
ISSUE_PAGES = [("inbox", "55 / 25 / 68 / 226 / 20"), ("school", "240 / 21 / 195 / 614 / 60"),
               ("attendance", "210 / 30 / 277 / 1,774 / 86"), ("pdf", "468 / 16 / 502 / 2,282 / 157")]


def log(message=""):
    print(message, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)])
    if not candidates:
        sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
    return candidates[-1].parent


# --- PostgreSQL ----------------------------------------------------------------------------------

class Cluster:
    """A throwaway cluster on 127.0.0.1, run as `postgres` when we are root."""

    def __init__(self, workdir: Path, port: int):
        self.bin = pg_bin()
        self.data = workdir / "pgdata"
        self.port = port
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.started = False

    def _run(self, *args):
        subprocess.run([*self.as_pg, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        self.data.mkdir()
        if self.as_pg:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c full_page_writes=off "
                   f"-c synchronous_commit=off -c shared_buffers=1GB -c max_connections=100 "
                   f"-c maintenance_work_mem=512MB -c max_wal_size=4GB")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"), "-w",
                  "-o", options, "start")
        self.started = True

    def stop(self):
        if self.started:
            subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                            "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, statement: str):
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(statement)

    def version(self) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres") as conn:
            return conn.execute("SHOW server_version").fetchone()[0]


def use_database(name: str):
    from django.db import connections

    conn = connections["default"]
    conn.close()
    conn.settings_dict["NAME"] = name


# --- pages ---------------------------------------------------------------------------------------

def credit_view_path() -> str:
    from django.urls import Resolver404, resolve

    try:
        resolve("/credits/school/")
        return "/credits/school/"
    except Resolver404:
        return "/attendance/reports/school/"


def pages_for(targets: dict) -> list[dict]:
    doc = targets["document_id"]
    credit = credit_view_path()
    return [
        {"key": "baseline", "label": "baseline: login page (GET, anonymous)", "user": None,
         "path": "/accounts/login/"},
        {"key": "inbox", "label": "task inbox, queue tab (training officer)", "user": "training_officer",
         "path": "/inbox/?tab=queue"},
        {"key": "documents", "label": "document list (training officer)", "user": "training_officer",
         "path": "/documents/"},
        {"key": "document", "label": "document page (annual plan, training officer)", "user": "training_officer",
         "path": f"/documents/{doc}/"},
        {"key": "schedule", "label": "month schedule (training officer)", "user": "training_officer",
         "path": f"/schedule/?year={targets['year']}&month={targets['month']}"},
        {"key": "school", "label": f"school {'credit' if credit.startswith('/credits') else 'attendance'} view "
                                   f"(school officer, big school)", "user": "school_officer", "path": credit},
        {"key": "pdf", "label": "PDF download (annual plan, training officer)", "user": "training_officer",
         "path": f"/print/documents/{doc}/pdf/", "pdf": True},
    ] + ([{"key": "attendance", "label": "school attendance report (school officer, big school)",
           "user": "school_officer", "path": "/attendance/reports/school/"}]
         if credit != "/attendance/reports/school/" else []) + peer_pages()


# Our inbox beside viewflow's stock pages of the same flow on the same data (the stock ones are
# mounted by bench/urls_bench.py, in the benchmark only): (ours, stock) pairs.
PEERS = [("inbox", "stock_queue"), ("inbox_mine", "stock_inbox"), ("inbox_done", "stock_archive"),
         ("task_list", "stock_tasks")]


def peer_pages() -> list[dict]:
    from django.urls import Resolver404, resolve

    stock = "/bench-stock/flow_app/"
    pages = [
        {"key": "inbox_mine", "label": "task inbox, my tasks tab (training officer)", "user": "training_officer",
         "path": "/inbox/"},
        {"key": "stock_inbox", "label": "viewflow stock inbox (training officer)", "user": "training_officer",
         "path": stock + "inbox/", "peer": True},
        {"key": "stock_queue", "label": "viewflow stock queue (training officer)", "user": "training_officer",
         "path": stock + "queue/", "peer": True},
        {"key": "inbox_done", "label": "task inbox, done tab (training officer)", "user": "training_officer",
         "path": "/inbox/?tab=done"},
        {"key": "stock_archive", "label": "viewflow stock archive (training officer)", "user": "training_officer",
         "path": stock + "archive/", "peer": True},
        {"key": "stock_tasks", "label": "viewflow stock task list (training officer)", "user": "training_officer",
         "path": stock + "tasks/", "peer": True},
    ]
    try:
        resolve("/workflow/review/tasks/")
        pages.insert(1, {"key": "task_list", "label": "our task list, viewflow's page scoped (training officer)",
                         "user": "training_officer", "path": "/workflow/review/tasks/"})
    except Resolver404:
        pass
    return pages


def describe(targets: dict) -> str:
    return ("training officer {training_officer} (queue of {queue_size} tasks, {district_documents} documents in "
            "the district), school officer {school_officer} ({school_teachers} teachers), document {document_id}, "
            "schedule {year}-{month} ({month_projects} projects)").format(**targets)


def count_queries(database: str, targets: dict, *, slowest: int = 0) -> dict:
    """Queries per page with the test client in this process (second request; time: median of 3 more)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    use_database(database)
    clients = {}
    result = {}
    for page in pages_for(targets):
        role = page["user"]
        if role not in clients:
            client = Client(HTTP_HOST="127.0.0.1")
            if role:
                client.force_login(User.objects.get(username=targets[role]),
                                   backend="django.contrib.auth.backends.ModelBackend")
            clients[role] = client
        client = clients[role]
        client.get(page["path"])  # warm-up: first-use look-ups (content types, permissions) are not counted
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page["path"])
        queries = list(ctx.captured_queries)  # copy now: the next request resets connection.queries
        times, cpu_times, sql_times = [], [], []
        for _ in range(TIMED_REQUESTS):  # the time is the median of these (one alone is noisy)
            with CaptureQueriesContext(connection) as timed:
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(page["path"])
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
            sql_times.append(sum(float(q["time"]) for q in timed.captured_queries))
        middle = TIMED_REQUESTS // 2
        elapsed = sorted(times)[middle]
        # Time outside SQL: per request (wall time minus that request's SQL), the median.
        outside = sorted(t - q for t, q in zip(times, sql_times))[middle]
        if response.status_code != 200:
            raise RuntimeError(f"{page['path']} as {role}: HTTP {response.status_code} on {database}")
        if role and not queries:
            raise RuntimeError(f"{page['path']} as {role}: no queries captured on {database}")
        entry = {"queries": len(queries), "ms": elapsed * 1000,
                 "sql_ms": sorted(sql_times)[middle] * 1000, "outside_ms": outside * 1000,
                 "cpu_ms": sorted(cpu_times)[middle] * 1000}
        if slowest:
            entry["all"] = [{"ms": float(q["time"]) * 1000, "sql": q["sql"][:1000]} for q in queries]
            entry["slowest"] = sorted(({"ms": float(q["time"]) * 1000, "sql": q["sql"]} for q in queries),
                                      key=lambda q: -q["ms"])[:slowest]
        result[page["key"]] = entry
    use_database("postgres")
    return result


def pdf_stored_vs_fresh(database: str, targets: dict) -> dict:
    """The filed annual plan: a fresh WeasyPrint rendering against the stored one (read from
    storage, checksum verified), in process, median of three each."""
    from plans.models import Document
    from printing import services

    use_database(database)
    document = Document.objects.get(pk=targets["document_id"])
    services.document_pdf_bytes(document)  # stored already by the page's warm-up; if not, now

    def median_ms(call):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return sorted(times)[1] * 1000

    result = {"fresh_ms": median_ms(lambda: services.document_pdf(document)),
              "stored_ms": median_ms(lambda: services.document_pdf_bytes(document)),
              "bytes": len(services.document_pdf_bytes(document))}
    use_database("postgres")
    return result


def explain(database: str, sql: str) -> str:
    from django.db import connection

    use_database(database)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join("        " + row[0] for row in cursor.fetchall())
    use_database("postgres")
    return plan


# --- gunicorn and wrk ------------------------------------------------------------------------------

class Server:
    def __init__(self, workdir: Path, env: dict, workers: int):
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        self.env = env
        self.workers = workers
        self.proc = None

    def start(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn), "config.wsgi:application", "--chdir", str(ROOT), "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.workers), "--timeout", "120", "--log-level", "warning"]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                status, _, _ = self.get("/accounts/login/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 90 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def get(self, path, cookie=""):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            body = response.read()
            return response.status, response.headers, body
        finally:
            conn.close()

    def login(self, username: str, password: str) -> str:
        """POST the login form like a browser; returns the Cookie header of the session."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            body = response.read().decode()
            jar = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
            form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
            conn.request("POST", "/accounts/login/", body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={jar['csrftoken'].value}",
            })
            response = conn.getresponse()
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            if response.status != 302 or "sessionid" not in jar:
                raise RuntimeError(f"login of {username} failed: HTTP {response.status}")
            return f"sessionid={jar['sessionid'].value}; csrftoken={jar['csrftoken'].value}"
        finally:
            conn.close()


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk is missing: apt-get install -y wrk")
    log("wrk is missing: apt-get install -y wrk")
    if subprocess.run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL, check=True)


def run_wrk(url: str, cookie: str, *, duration: int, connections: int, threads: int, timeout: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", f"--timeout={timeout}s",
           "-s", str(LUA)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(url)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=duration + timeout + 60).stdout
    match = re.search(r"^BENCH_JSON (.*)$", out, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no report:\n{out}")
    figures = json.loads(match.group(1))
    seconds = figures["duration_us"] / 1e6
    figures["rps"] = figures["requests"] / seconds if seconds else 0.0
    figures["errors"] = sum(figures[k] for k in ("err_connect", "err_read", "err_write", "err_status",
                                                   "err_timeout"))
    return figures


# --- reporting -------------------------------------------------------------------------------------

def machine_info(cluster: Cluster) -> dict:
    import django
    import gunicorn
    import psycopg

    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk = (subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
           if shutil.which("wrk") else "wrk (not installed)")
    return {
        "date": datetime.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": cluster.version(),
        "psycopg": psycopg.__version__,
        "gunicorn": gunicorn.__version__,
        "wrk": " ".join(wrk.split()[:2]),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def table(headers: list[str], rows: list[list], align: str) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if a == "r" else str(c).ljust(w) for c, w, a in zip(cells, widths, align))

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


# --- main ------------------------------------------------------------------------------------------

def teardown(server, cluster, workdir, *, keep: bool) -> None:
    """Stop gunicorn (if started) and the throwaway cluster; remove its directory unless kept."""
    if server is not None:
        server.stop()
    try:
        from django.db import connections

        connections.close_all()
    except Exception:
        pass
    cluster.stop()
    if keep:
        log(f"Kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        log(f"Stopped PostgreSQL{' and gunicorn' if server is not None else ''}; removed {workdir}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="data set size, 1 = province (default 0.1)")
    parser.add_argument("--count-base", type=float, default=0.001,
                        help="scale of the small query-count data set; the second is 10x (default 0.001)")
    parser.add_argument("--duration", type=int, default=10, help="wrk seconds per page (default 10)")
    parser.add_argument("--single-duration", type=int, default=5,
                        help="seconds of a second wrk run per page with one connection (0: skip; default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="wrk warm-up seconds per page (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (default 2 x cores + 1)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the slowest queries of each page on the main data set")
    parser.add_argument("--no-wrk", action="store_true", help="only generate and count queries")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (cluster stopped)")
    parser.add_argument("--two-servers", action=argparse.BooleanOptionalAction, default=True,
                        help="at the end, two gunicorn instances and a db_worker on the main data set "
                             "(bench/bench_two_servers.py; default on, --no-two-servers to skip)")
    parser.add_argument("--two-servers-workers", type=int, default=2,
                        help="gunicorn workers of each of the two servers (default 2)")
    args = parser.parse_args()
    if not args.no_wrk:
        ensure_wrk()

    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    os.chmod(workdir, 0o755)  # the postgres user must reach its data directory inside
    cluster = Cluster(workdir, free_port())
    server = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    results = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    try:
        log(f"Temporary directory {workdir}; PostgreSQL on 127.0.0.1:{cluster.port}")
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
            "BENCH_STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": cluster.url("bench_template"),
        }
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        t = time.perf_counter()
        cluster.start()
        log(f"PostgreSQL started in {time.perf_counter() - t:.1f} s")

        import django

        django.setup()
        from django.core.management import call_command

        info = machine_info(cluster)
        results["machine"] = info
        log("Machine: {nproc} cores ({cpu}), {memory_gib} GiB; Python {python}, Django {django}, "
            "PostgreSQL {postgresql}, psycopg {psycopg}, gunicorn {gunicorn}, {wrk}; load average {load_average_at_start} "
            "(other work on the machine skews the figures)".format(**info))

        t = time.perf_counter()
        cluster.sql("CREATE DATABASE bench_template")
        use_database("bench_template")
        call_command("migrate", verbosity=0, interactive=False)
        use_database("postgres")
        log(f"Migrated the template database in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        call_command("collectstatic", verbosity=0, interactive=False)
        log(f"collectstatic (hashed) in "
            f"{time.perf_counter() - t:.1f} s")

        from bench.scale_data import Generator

        def build(name, scale, districts=None):
            cluster.sql(f"CREATE DATABASE {name} TEMPLATE bench_template")
            use_database(name)
            gen = Generator(scale, districts=districts, log=log)
            targets = gen.run()
            timings = gen.loader.timings
            use_database("postgres")
            return targets, timings

        base, tenfold = args.count_base, args.count_base * 10
        count_sets = [("bench_count_1x", base), ("bench_count_10x", tenfold)]
        targets_by_db, generation = {}, {}
        for name, scale in count_sets:
            log(f"\n== Query-count data set {name} (scale {scale:g}, one district)")
            targets_by_db[name], generation[name] = build(name, scale, districts=1)
        log(f"\n== Main data set (scale {args.scale:g})")
        t = time.perf_counter()
        targets_by_db["bench_main"], generation["bench_main"] = build("bench_main", args.scale)
        main_seconds = time.perf_counter() - t
        results["generation"] = {name: [{"table": tb, "rows": n, "seconds": round(s, 3)} for tb, n, s in rows]
                                 for name, rows in generation.items()}
        results["generation_seconds"] = round(main_seconds, 1)
        results["targets"] = targets_by_db
        main_targets = targets_by_db["bench_main"]
        log(f"Main data set generated in {main_seconds:.1f} s")
        for name, _ in count_sets + [("bench_main", args.scale)]:
            log(f"{name}: {describe(targets_by_db[name])}")

        # --- 3. queries per page --------------------------------------------------------------
        log("\n== Queries per page (test client, in process; queries of the second request, time the median of "
            "three more; SQL time at 1 ms resolution)")
        counts = {name: count_queries(name, targets_by_db[name]) for name, _ in count_sets}
        counts["bench_main"] = count_queries("bench_main", main_targets, slowest=3)
        results["queries"] = counts
        pages = pages_for(main_targets)
        rows, grows = [], []
        for page in pages:
            a = counts["bench_count_1x"][page["key"]]["queries"]
            b = counts["bench_count_10x"][page["key"]]["queries"]
            m = counts["bench_main"][page["key"]]["queries"]
            flag = "GROWS" if b > a or m > a else "same"
            if flag == "GROWS" and page.get("peer"):
                flag = "grows (viewflow's)"  # not ours: measured beside ours, not a target of ours
            elif flag == "GROWS":
                grows.append(page["key"])
            main = counts["bench_main"][page["key"]]
            rows.append([page["label"], a, b, m, flag, f"{main['ms']:.0f}", f"{main['sql_ms']:.0f}"])
        log(table(["page", f"1x ({base:g})", f"10x ({tenfold:g})", f"main ({args.scale:g})", "",
                   "main: ms in process", "main: ms in SQL"], rows, "lrrrlrr"))
        results["queries_grow"] = grows
        log("\nSlowest queries per page on the main data set (2 ms or more):")
        for page in pages:
            for q in counts["bench_main"][page["key"]].get("slowest", [])[:2]:
                if q["ms"] >= 2:
                    log(f"  {page['key']:<10} {q['ms']:7.1f} ms  {q['sql'][:300]}")
                    if args.explain and q["sql"].lstrip().upper().startswith("SELECT"):
                        log(explain("bench_main", q["sql"]))

        # --- 2. gunicorn + wrk ----------------------------------------------------------------
        if not args.no_wrk:
            log(f"\n== gunicorn ({args.workers} workers) + wrk (-t{args.threads} -c{args.connections} "
                f"-d{args.duration}s, {args.warmup} s warm-up) on the main data set")
            server_env = {**os.environ, "DATABASE_URL": cluster.url("bench_main")}
            server = Server(workdir, server_env, args.workers)
            server.start()
            cookies = {None: ""}
            for role in ("training_officer", "school_officer"):
                cookies[role] = server.login(main_targets[role], main_targets["password"])
            base_url = f"http://127.0.0.1:{server.port}"
            web, single_web = {}, {}
            for page in pages:
                cookie = cookies[page["user"]]
                status, headers, body = server.get(page["path"], cookie)
                wanted = "application/pdf" if page.get("pdf") else "text/html"
                if status != 200 or not headers.get("Content-Type", "").startswith(wanted):
                    raise RuntimeError(f"{page['path']}: HTTP {status} {headers.get('Content-Type')}")
                options = {"connections": args.connections, "threads": min(args.threads, args.connections),
                           "timeout": 60}
                if args.warmup:
                    run_wrk(base_url + page["path"], cookie, duration=args.warmup, **options)
                figures = run_wrk(base_url + page["path"], cookie, duration=args.duration, **options)
                figures["bytes_per_response"] = len(body)
                web[page["key"]] = figures
                log(f"  {page['key']:<10} c={args.connections}: {figures['rps']:8.1f} req/s  "
                    f"p50 {figures['p50'] / 1000:7.1f} ms  p95 {figures['p95'] / 1000:7.1f} ms  "
                    f"({figures['requests']} requests, {figures['errors']} errors)")
                if args.single_duration:
                    single = run_wrk(base_url + page["path"], cookie, duration=args.single_duration,
                                     connections=1, threads=1, timeout=60)
                    single_web[page["key"]] = single
                    log(f"  {page['key']:<10} c=1: {single['rps']:8.1f} req/s  p50 {single['p50'] / 1000:7.1f} ms  "
                        f"p95 {single['p95'] / 1000:7.1f} ms  ({single['requests']} requests, "
                        f"{single['errors']} errors)")
            server.stop()
            results["load_average_after_wrk"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
            log(f"  load average after wrk: {results['load_average_after_wrk']}")
            results["web"] = web
            results["web_single"] = single_web
            for title, figures_by_page in ((f"{args.connections} connections (saturating: {args.workers} workers "
                                            f"on {os.cpu_count()} cores, wrk and PostgreSQL on the same machine)",
                                            web),
                                           ("1 connection (one request at a time)", single_web)):
                if not figures_by_page:
                    continue
                baseline = figures_by_page["baseline"]
                rows = []
                for page in pages:
                    f = figures_by_page[page["key"]]
                    target = ""
                    if page["key"] in P95_TARGET_PAGES:
                        target = "met" if f["p95"] / 1000 < P95_TARGET_MS else "MISSED"
                    rows.append([page["label"], f"{f['rps']:.1f}", f"{f['p50'] / 1000:.1f}",
                                 f"{f['p95'] / 1000:.1f}",
                                 f"{baseline['rps'] / f['rps']:.1f}" if f["rps"] else "-",
                                 f"{f['p50'] / baseline['p50']:.1f}" if baseline["p50"] else "-",
                                 f["errors"], target])
                log(f"\nwrk, {title}:")
                log(table(["page", "req/s", "p50 ms", "p95 ms", "x baseline (req/s)", "x baseline (p50)", "errors",
                           f"p95 < {P95_TARGET_MS} ms"], rows, "lrrrrrrl"))

        # --- 4. the table of issue 14, the stored PDF, and viewflow's stock pages ------------------
        main_counts = counts["bench_main"]
        single = results.get("web_single") or {}
        base_p50 = single.get("baseline", {}).get("p50")

        def latency(key):
            f = single.get(key)
            if not f:
                return "-", "-"
            return f"{f['p50'] / 1000:.0f} / {f['p95'] / 1000:.0f}", (f"{f['p50'] / base_p50:.0f}" if base_p50 else "-")

        rows, over = [], []
        for key, before in ISSUE_PAGES:
            c = main_counts[key]
            p50_p95, times_baseline = latency(key)
            if c["outside_ms"] > OUTSIDE_SQL_TARGET_MS:
                over.append(key)
            rows.append([next(p["label"] for p in pages if p["key"] == key), f"{c['ms']:.0f}", f"{c['sql_ms']:.0f}",
                         f"{c['outside_ms']:.0f}", f"{c['cpu_ms']:.0f}", p50_p95, times_baseline, before])
        log(f"\nIssue 14's table again (scale {args.scale:g}; in process: test client, median of {TIMED_REQUESTS}; "
            f"one connection: wrk through gunicorn; x baseline: p50 against the login page's p50):")
        log(table(["page", "in process ms", "of which SQL", "outside SQL", "CPU ms", "1 conn. p50 / p95 ms",
                   "x baseline", "before (in process / SQL / p50 / p95 / x)"], rows, "lrrrrrrl"))
        results["outside_sql_over_target"] = over

        pdf = pdf_stored_vs_fresh("bench_main", main_targets)
        pdf["download_ms"] = main_counts["pdf"]["ms"]
        pdf["ratio"] = pdf["download_ms"] / pdf["fresh_ms"]
        results["pdf_stored_vs_fresh"] = pdf
        log(f"\nFiled annual plan ({pdf['bytes']:,} bytes): fresh rendering {pdf['fresh_ms']:.0f} ms; stored one read "
            f"and verified {pdf['stored_ms']:.1f} ms; the download page (stored) {pdf['download_ms']:.1f} ms in process "
            f"= {pdf['ratio']:.3f} of a fresh rendering (target < 0.1: "
            f"{'met' if pdf['ratio'] < 0.1 else 'MISSED'})")

        rows, slower = [], []
        for ours, stock in PEERS:
            if ours not in main_counts or stock not in main_counts:
                continue
            a, b = main_counts[ours], main_counts[stock]
            (a_lat, _), (b_lat, _) = latency(ours), latency(stock)
            if a["ms"] >= b["ms"]:
                slower.append(ours)
            rows.append([f"{ours} vs {stock}", f"{a['ms']:.0f} / {b['ms']:.0f}", f"{a['sql_ms']:.0f} / {b['sql_ms']:.0f}",
                         f"{a['outside_ms']:.0f} / {b['outside_ms']:.0f}", f"{a['queries']} / {b['queries']}",
                         f"{a_lat} | {b_lat}", f"{b['ms'] / a['ms']:.1f}" if a["ms"] else "-"])
        results["slower_than_stock"] = slower
        log("\nOur pages against viewflow's stock pages of the same flow, same user, same data (ours / stock):")
        log(table(["pages", "in process ms", "SQL ms", "outside SQL ms", "queries", "1 conn. p50 / p95 ms",
                   "stock takes x ours"], rows, "lrrrrrr"))

        log("\nTargets:")
        log(f"  each page of the table spends <= {OUTSIDE_SQL_TARGET_MS} ms outside its SQL in process: "
            f"{'met' if not over else 'MISSED (' + ', '.join(over) + ')'}")
        log(f"  stored PDF download < 0.1 of a fresh rendering: {'met' if pdf['ratio'] < 0.1 else 'MISSED'}")
        log(f"  our inbox and task list faster than viewflow's stock pages: "
            f"{'met' if not slower else 'MISSED (' + ', '.join(slower) + ')'}")
        log(f"  queries per page do not grow with the data: "
            f"{'met' if not grows else 'MISSED (' + ', '.join(grows) + ')'}")
        for key, label in (("web", f"{args.connections} connections"), ("web_single", "1 connection")):
            if results.get(key):
                missed = [k for k in P95_TARGET_PAGES if results[key][k]["p95"] / 1000 >= P95_TARGET_MS]
                log(f"  inbox and document list p95 < {P95_TARGET_MS} ms at {label}: "
                    f"{'met' if not missed else 'MISSED (' + ', '.join(sorted(missed)) + ')'}")

        # --- 5. two application servers on the same database, data and storage --------------------
        if args.two_servers and not args.no_wrk:
            from bench.bench_two_servers import two_servers

            from django.db import connections

            connections.close_all()
            log("\n== Two application servers on the main data set (batch, upload, inbox p95 without and with "
                "a batch)")
            results["two_servers"] = two_servers(
                workdir=workdir, run_env={**os.environ, "DATABASE_URL": cluster.url("bench_main")},
                targets=main_targets, workers=args.two_servers_workers, duration=args.duration,
                connections=min(args.connections, 4),
                storage=f"the run's media directory, shared by both servers: {os.environ['MEDIA_ROOT']}")
            log(f"  two servers: batch followed through B, upload downloaded through B: met; B's inbox p95 with the "
                f"batch / without: {results['two_servers']['p95_ratio']:.2f}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
            log(f"Figures written to {args.json}")
    finally:
        teardown(server, cluster, workdir, keep=args.keep)


if __name__ == "__main__":
    main()
