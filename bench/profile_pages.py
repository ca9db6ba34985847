"""Profile issue 14's pages in process, on bench data, on an existing PostgreSQL server.

    .venv/bin/python bench/profile_pages.py --database-url postgres://postgres@127.0.0.1:54329/tp_h31
    .venv/bin/python bench/profile_pages.py --pages inbox,task_list,stock_tasks --repeat 15 --profile 0
    .venv/bin/python bench/profile_pages.py --root /tmp/h31-base ...   # the same on another checkout

Run by hand (not part of the test suite). The first run builds the data set in the database of
--database-url (dropped and created again, then migrated and filled with bench/scale_data.py at
--scale, like bench/bench_scale.py's main data set) and writes the targets (users, ids) to
--state; later runs reuse both (--rebuild builds again). --root runs another checkout's code
(a `git worktree add /tmp/base main`) on the same database, for a before/after in the same
conditions: run both back to back, and compare the minimum.

For each page (bench_scale.py's pages: inbox, school, attendance, task_list, stock_tasks, ...):
one warm-up request, then --repeat rounds over the pages, each request timed as bench_scale.py's count_queries does (wall
time in process with the test client, the SQL of that request from CaptureQueriesContext, outside
SQL = wall - SQL per request) and the CPU time of this process for it (steadier than wall
time when other work loads the machine), printed as minimum and median; then --profile requests under
cProfile, with the top functions by own time and by cumulative time.
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = "inbox,school,attendance,task_list,stock_tasks"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:54329/tp_h31"))
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout whose code runs (default: this one)")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--rebuild", action="store_true", help="drop and build the data set again")
    parser.add_argument("--migrate", action="store_true",
                        help="apply the checkout's new migrations (and collect its static files) first")
    parser.add_argument("--state", type=Path, default=None,
                        help="targets file (default: <tmp>/profile_pages-<database>.json)")
    parser.add_argument("--pages", default=DEFAULT_PAGES)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", type=int, default=5, help="requests under cProfile (0: none)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--queries", action="store_true", help="print each page's queries with their time")
    parser.add_argument("--sql-chars", type=int, default=400)
    parser.add_argument("--only", default="", help="regular expression: list only matching functions (path:line(name))")
    args = parser.parse_args()

    root = args.root.resolve()
    dbname = urlsplit(args.database_url).path.lstrip("/")
    state = args.state or Path(tempfile.gettempdir()) / f"profile_pages-{dbname}.json"
    static_root = Path(tempfile.gettempdir()) / f"profile_pages-static-{dbname}"
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "BENCH_STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / f"profile_pages-media-{dbname}"),
        "DJANGO_SECRET_KEY": "profile-pages-not-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DATABASE_URL": args.database_url,
    })
    sys.path.insert(0, str(root))
    os.chdir(root)
    if args.rebuild or not state.exists():
        build(args, dbname, state)
    import django

    django.setup()
    from django.core.management import call_command

    if args.migrate:
        call_command("migrate", verbosity=0, interactive=False)
    if args.migrate or not (static_root / "staticfiles.json").exists():  # new static files too
        call_command("collectstatic", verbosity=0, interactive=False)
    targets = json.loads(state.read_text())
    print(f"code: {root}; database: {dbname}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    measure(args, targets)


def build(args, dbname, state):
    import psycopg

    parts = urlsplit(args.database_url)
    admin = f"host={parts.hostname} port={parts.port or 5432} user={parts.username or 'postgres'} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from bench.scale_data import Generator

    targets = Generator(args.scale).run()
    state.write_text(json.dumps(targets, default=str))
    print(f"built scale {args.scale:g} in {dbname}; targets in {state}")


def measure(args, targets):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bench.bench_scale import pages_for

    known = {p["key"]: p for p in pages_for(targets)}
    pages = []
    for key in args.pages.split(","):
        if key not in known:
            print(f"{key}: no such page here (known: {', '.join(known)})")
        else:
            pages.append(known[key])
    clients = {}
    for page in pages:
        role = page["user"]
        if role not in clients:
            client = Client(HTTP_HOST="127.0.0.1")
            if role:
                client.force_login(User.objects.get(username=targets[role]),
                                   backend="django.contrib.auth.backends.ModelBackend")
            clients[role] = client
        response = clients[role].get(page["path"])  # warm-up
        if response.status_code != 200:
            raise RuntimeError(f"{page['path']}: HTTP {response.status_code}")
    # Rounds over all pages (not one page after the other), so that a change in the machine's
    # load hits every page alike.
    walls, sqls, cpus, captured = ({page["key"]: [] for page in pages} for _ in range(4))
    for _ in range(args.repeat):
        for page in pages:
            with CaptureQueriesContext(connection) as ctx:
                started, cpu_started = time.perf_counter(), time.process_time()
                clients[page["user"]].get(page["path"])
                walls[page["key"]].append(time.perf_counter() - started)
                cpus[page["key"]].append(time.process_time() - cpu_started)
            sqls[page["key"]].append(sum(float(q["time"]) for q in ctx.captured_queries))
            captured[page["key"]] = list(ctx.captured_queries)
    summary = []
    for page in pages:
        key = page["key"]
        w, q = walls[key], sqls[key]
        outside = sorted(a - b for a, b in zip(w, q))
        row = (key, min(w) * 1000, sorted(w)[len(w) // 2] * 1000, min(q) * 1000, sorted(q)[len(q) // 2] * 1000,
               outside[0] * 1000, outside[len(outside) // 2] * 1000, len(captured[key]),
               min(cpus[key]) * 1000, sorted(cpus[key])[len(w) // 2] * 1000)
        summary.append(row)
        print(f"\n== {key} {page['path']}: in process min {row[1]:.1f} / median {row[2]:.1f} ms; SQL {row[3]:.1f} / "
              f"{row[4]:.1f}; outside SQL {row[5]:.1f} / {row[6]:.1f}; CPU {row[8]:.1f} / {row[9]:.1f}; {row[7]} queries")
        if args.queries:
            for query in captured[key]:
                print(f"   {float(query['time']) * 1000:6.1f} ms  {query['sql'][:args.sql_chars]}")
        if args.profile:
            profiler = cProfile.Profile()
            for _ in range(args.profile):
                profiler.enable()
                clients[page["user"]].get(page["path"])
                profiler.disable()
            # Python's work a request, counted: unlike times, not moved by the machine's load.
            calls = pstats.Stats(profiler).total_calls
            print(f"-- {calls / args.profile:.0f} function calls a request (cProfile, {args.profile} requests)")
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                if not args.only:
                    stats.strip_dirs()
                restrictions = [args.only, args.top] if args.only else [args.top]
                stats.sort_stats(order).print_stats(*restrictions)
                text = out.getvalue()
                print(f"-- top by {order} ({args.profile} requests)")
                print(text[text.find("   ncalls"):].rstrip())
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("page            in process min/med   SQL min/med   outside SQL min/med   CPU min/med   queries")
    for key, wmin, wmed, smin, smed, omin, omed, n, cmin, cmed in summary:
        print(f"{key:<15} {wmin:8.1f} {wmed:8.1f}  {smin:6.1f} {smed:6.1f}  {omin:9.1f} {omed:9.1f}  {cmin:6.1f} {cmed:6.1f}"
              f"   {n:5d}")


if __name__ == "__main__":
    main()
