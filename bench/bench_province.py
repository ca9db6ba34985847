"""Province benchmark (issue 15): the roll-up pages on a province-sized data set, as a curve.

    .venv/bin/python bench/bench_province.py                          # sizes 0.02,0.05,0.1 (~5 min)
    .venv/bin/python bench/bench_province.py --sizes 0.05,0.1,0.25,0.5,1 --json province.json

Scale 1 is Hunan (bench/scale_data.py, province mode): 14 cities, 123 districts,
12,300 schools, 307,500 teachers, 153,750 documents, ~3,000,000 attendance marks;
a size takes that share of the districts (each of the same size). Run by hand, as
root (or a user who may run initdb), like bench/bench_scale.py, whose throwaway
PostgreSQL cluster, gunicorn server and wrk runner it reuses.

For each size, smallest first, on its own database (dropped after it):

1. generates the province (COPY);
2. fills the roll-ups' summary table: oversight.services.figures_refresh(year=,
   district=) for every district, timed one by one (the background task's cost:
   total, mean and slowest district);
3. opens each roll-up page in process with the test client (queries of the
   second request; time, SQL time and time outside SQL the median of --repeat
   more): the province (province officer), the biggest city, its first
   district and that district's big school (city officer), and the xlsx
   export (?format=xlsx) of the province, city and district;
4. serves the database with gunicorn (bench/settings_bench.py) and runs wrk with
   ONE connection on each page (--warmup s, then --single-duration s): p50, p95.

Then it prints the curve (size → ms of each page) and checks the target: every
roll-up page under 1 s at one connection (p95) at the largest size; a page that
misses it gets its slowest queries with EXPLAIN ANALYZE. Other work on the
machine skews the figures: the load average is printed at each step.
"""
import argparse
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scale import (  # noqa: E402
    Cluster, Server, ensure_wrk, explain, free_port, log, machine_info, run_wrk, table, teardown, use_database,
)

TARGET_MS = 1000


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rollup_pages(targets: dict) -> list[dict]:
    """The roll-up pages of h33's oversight app that exist in this tree (URL names
    oversight:province, oversight:city <pk>, oversight:district <pk>), and their xlsx exports."""
    from django.urls import NoReverseMatch, reverse

    year = targets["year"]
    wanted = [
        ("province", f"province ({targets['size']['cities']} cities)", "province_officer", "oversight:province", []),
        ("city", f"city {targets['city_name']} ({targets['city_districts']} districts)", "city_officer",
         "oversight:city", [targets["city_id"]]),
        ("district", f"district {targets['district_name']} (100 schools)", "city_officer", "oversight:district",
         [targets["district_id"]]),
        ("school", f"school (its {targets['school_teachers']} teachers' credits)", "city_officer",
         "oversight:school", [targets["school_id"]]),
    ]
    pages = []
    for key, label, user, name, args in wanted:
        try:
            path = reverse(name, args=args)
        except NoReverseMatch:
            continue
        pages.append({"key": key, "label": label, "user": user, "path": f"{path}?year={year}"})
        if key == "school":  # a drill-down page, no export
            continue
        for export in (f"{name}_xlsx", f"{name}_export"):
            try:
                pages.append({"key": f"{key}_xlsx", "label": f"{label}, xlsx", "user": user,
                              "path": f"{reverse(export, args=args)}?year={year}", "xlsx": True})
                break
            except NoReverseMatch:
                continue
        else:  # an export as a parameter of the page (?format=xlsx), if the page offers one
            pages.append({"key": f"{key}_xlsx", "label": f"{label}, xlsx", "user": user,
                          "path": f"{path}?year={year}&format=xlsx", "xlsx": True, "optional": True})
    return pages


def refresh_all(targets: dict) -> dict:
    """figures_refresh for every district, one at a time (what the background task does); the
    queries of the first district's refresh are kept (the slowest three)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import District

    try:
        from oversight.services import figures_refresh
    except ImportError:
        try:  # before the summary table: what counting a district live costs
            from oversight.metrics import school_figures
        except ImportError:
            return {}

        def figures_refresh(*, year, district):
            school_figures(year, district)
    times, slowest = [], []
    for district in District.objects.filter(pk__in=targets["district_ids"]).order_by("pk"):
        started = time.perf_counter()
        if not times:
            with CaptureQueriesContext(connection) as ctx:
                figures_refresh(year=targets["year"], district=district)
            slowest = sorted(({"ms": float(q["time"]) * 1000, "sql": q["sql"]} for q in ctx.captured_queries),
                             key=lambda q: -q["ms"])[:3]
        else:
            figures_refresh(year=targets["year"], district=district)
        times.append(time.perf_counter() - started)
    worst = max(range(len(times)), key=times.__getitem__)
    ordered = sorted(times)
    return {"districts": len(times), "total_s": sum(times), "mean_ms": 1000 * sum(times) / len(times),
            "median_ms": 1000 * ordered[len(ordered) // 2], "max_ms": 1000 * max(times), "min_ms": 1000 * min(times),
            "max_at": worst + 1, "times_ms": [round(1000 * t) for t in times], "slowest": slowest}


def measure_in_process(targets: dict, pages: list[dict], repeat: int) -> dict:
    """Queries, time, SQL time and time outside SQL of each page with the test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    clients, result = {}, {}
    for page in pages:
        role = page["user"]
        if role not in clients:
            clients[role] = Client(HTTP_HOST="127.0.0.1")
            clients[role].force_login(User.objects.get(username=targets[role]),
                                      backend="django.contrib.auth.backends.ModelBackend")
        client = clients[role]
        response = client.get(page["path"])  # warm-up
        if page.get("xlsx") and (response.status_code != 200 or "spreadsheet" not in response.get("Content-Type", "")):
            if page.get("optional"):
                page["missing"] = True
                continue
        if response.status_code != 200:
            raise RuntimeError(f"{page['path']} as {targets[role]}: HTTP {response.status_code}")
        with CaptureQueriesContext(connection) as ctx:
            client.get(page["path"])
        queries = [{"ms": float(q["time"]) * 1000, "sql": q["sql"]} for q in ctx.captured_queries]
        times, sql_times = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as timed:
                started = time.perf_counter()
                client.get(page["path"])
                times.append(time.perf_counter() - started)
            sql_times.append(sum(float(q["time"]) for q in timed.captured_queries))
        mid = len(times) // 2
        result[page["key"]] = {
            "queries": len(queries), "ms": sorted(times)[mid] * 1000, "sql_ms": sorted(sql_times)[mid] * 1000,
            "outside_ms": sorted(t - q for t, q in zip(times, sql_times))[mid] * 1000,
            "bytes": len(response.content),
            "slowest": sorted(queries, key=lambda q: -q["ms"])[:3],
        }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0.02,0.05,0.1",
                        help="province scales, comma-separated, 1 = Hunan (default 0.02,0.05,0.1)")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page in process (median)")
    parser.add_argument("--single-duration", type=int, default=5, help="wrk seconds per page at 1 connection")
    parser.add_argument("--warmup", type=int, default=2, help="wrk warm-up seconds per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one connection)")
    parser.add_argument("--no-wrk", action="store_true", help="in process only")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries at every size")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and the last database")
    args = parser.parse_args()
    sizes = sorted(float(x) for x in args.sizes.split(","))
    if not args.no_wrk:
        ensure_wrk()

    workdir = Path(tempfile.mkdtemp(prefix="bench-province-"))
    os.chmod(workdir, 0o755)
    cluster = Cluster(workdir, free_port())
    server = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    results = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, "sizes": []}
    try:
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
        cluster.start()
        import django

        django.setup()
        from django.core.management import call_command

        from bench.scale_data import Generator, province_sizes

        info = machine_info(cluster)
        results["machine"] = info
        log("Machine: {nproc} cores ({cpu}), {memory_gib} GiB; Python {python}, Django {django}, PostgreSQL "
            "{postgresql}; load average {load_average_at_start}".format(**info))
        t = time.perf_counter()
        cluster.sql("CREATE DATABASE bench_template")
        use_database("bench_template")
        call_command("migrate", verbosity=0, interactive=False)
        use_database("postgres")
        log(f"Migrated the template database in {time.perf_counter() - t:.1f} s")
        if not args.no_wrk:
            call_command("collectstatic", verbosity=0, interactive=False)

        for n, scale in enumerate(sizes):
            name = f"bench_province_{n}"
            size = province_sizes(scale)
            log(f"\n== Size {scale:g}: {size} (load average {load()})")
            cluster.sql(f"CREATE DATABASE {name} TEMPLATE bench_template")
            use_database(name)
            t = time.perf_counter()
            gen = Generator(scale, province=True, log=log)
            targets = gen.run()
            entry = {"scale": scale, "size": size, "generation_s": time.perf_counter() - t,
                     "rows": sum(r for _, r, _ in gen.loader.timings), "load_generated": load()}
            del gen
            log(f"Generated {entry['rows']:,} rows in {entry['generation_s']:.0f} s")

            t = time.perf_counter()
            entry["refresh"] = refresh_all(targets)
            if entry["refresh"]:
                r = entry["refresh"]
                log(f"figures_refresh, {r['districts']} districts one by one: {r['total_s']:.1f} s "
                    f"(mean {r['mean_ms']:.0f} ms, median {r['median_ms']:.0f} ms, slowest {r['max_ms']:.0f} ms: "
                    f"district no. {r['max_at']} of {r['districts']}); load {load()}")
                for q in r["slowest"]:
                    log(f"    first district's refresh, query of {q['ms']:.1f} ms: {' '.join(q['sql'].split())[:160]}")
                    if args.explain and q["sql"].lstrip().upper().startswith("SELECT"):
                        log(explain(name, q["sql"]))
                        use_database(name)
            else:
                log("(no oversight.services.figures_refresh in this tree: no summary rows)")
            pages = rollup_pages(targets)
            if not pages:
                log("(no roll-up pages in this tree: oversight:province/city/district do not resolve)")
            entry["in_process"] = measure_in_process(targets, pages, args.repeat)
            pages = [p for p in pages if not p.get("missing")]
            entry["pages"] = [{k: p[k] for k in ("key", "label", "path")} for p in pages]
            for page in pages:
                m = entry["in_process"][page["key"]]
                log(f"  {page['key']:<14} in process {m['ms']:7.1f} ms, SQL {m['sql_ms']:6.1f} ms, outside SQL "
                    f"{m['outside_ms']:6.1f} ms, {m['queries']} queries, {m['bytes']:,} bytes  [{page['path']}]")
                q = m["slowest"][0] if m["slowest"] else None
                if q:
                    log(f"    slowest query {q['ms']:.1f} ms: {' '.join(q['sql'].split())[:160]}")
                if args.explain:
                    for q in m["slowest"][:2]:
                        if q["ms"] >= 5 and q["sql"].lstrip().upper().startswith("SELECT"):
                            log(f"    {q['ms']:.1f} ms: {q['sql'][:400]}")
                            log(explain(name, q["sql"]))
                            use_database(name)
            entry["single"] = {}
            if not args.no_wrk and pages:
                use_database("postgres")
                server = Server(workdir, {**os.environ, "DATABASE_URL": cluster.url(name)}, args.workers)
                server.start()
                cookies = {role: server.login(targets[role], targets["password"])
                           for role in {p["user"] for p in pages}}
                base_url = f"http://127.0.0.1:{server.port}"
                for page in pages:
                    cookie = cookies[page["user"]]
                    status, headers, _body = server.get(page["path"], cookie)
                    if status != 200:
                        raise RuntimeError(f"{page['path']}: HTTP {status} through gunicorn")
                    options = {"connections": 1, "threads": 1, "timeout": 60}
                    if args.warmup:
                        run_wrk(base_url + page["path"], cookie, duration=args.warmup, **options)
                    f = run_wrk(base_url + page["path"], cookie, duration=args.single_duration, **options)
                    entry["single"][page["key"]] = f
                    log(f"  {page['key']:<14} 1 connection: p50 {f['p50'] / 1000:7.1f} ms  p95 "
                        f"{f['p95'] / 1000:7.1f} ms  ({f['requests']} requests, {f['errors']} errors)")
                server.stop()
                server = None
            slow = [p["key"] for p in pages if entry["in_process"][p["key"]]["ms"] >= TARGET_MS
                    or entry["single"].get(p["key"], {}).get("p95", 0) / 1000 >= TARGET_MS]
            for key in slow:  # while the database is there: why
                for q in entry["in_process"][key]["slowest"][:2]:
                    if q["sql"].lstrip().upper().startswith("SELECT"):
                        log(f"  over {TARGET_MS} ms: {key}, query of {q['ms']:.1f} ms: {q['sql'][:600]}")
                        q["explain"] = explain(name, q["sql"])
                        log(q["explain"])
            entry["load_end"] = load()
            results["sizes"].append(entry)
            use_database("postgres")
            from django.db import connections

            connections.close_all()
            if n < len(sizes) - 1 or not args.keep:
                cluster.sql(f"DROP DATABASE {name}")
            if args.json:  # after every size: a long run cut short keeps what it measured
                args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))

        report(results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
            log(f"Figures written to {args.json}")
    finally:
        teardown(server, cluster, workdir, keep=args.keep)


def report(results: dict):
    sizes = results["sizes"]
    log("\n== The curve (size → ms). In process: test client, median; 1 conn.: wrk through gunicorn, p50 / p95")
    rows = []
    for e in sizes:
        s, r = e["size"], e.get("refresh") or {}
        rows.append([f"{e['scale']:g}", s["cities"], s["districts"], f"{s['schools']:,}", f"{s['teachers']:,}",
                     f"{e['rows']:,}", f"{e['generation_s']:.0f}",
                     f"{r['total_s']:.1f}" if r else "-", f"{r['mean_ms']:.0f} / {r.get('median_ms', 0):.0f} / {r['max_ms']:.0f}" if r else "-"])
    log(table(["scale", "cities", "districts", "schools", "teachers", "rows", "generated s",
               "refresh all s", "refresh a district ms (mean / median / max)"], rows, "rrrrrrrrr"))
    keys = []
    for e in sizes:
        for p in e["pages"]:
            if p["key"] not in keys:
                keys.append(p["key"])
    if not keys:
        return
    rows = []
    for key in keys:
        for e in sizes:
            m, f = e["in_process"].get(key), e["single"].get(key)
            if not m:
                continue
            rows.append([key, f"{e['scale']:g}", f"{e['size']['teachers']:,}", f"{m['ms']:.0f}", f"{m['sql_ms']:.0f}",
                         f"{m['outside_ms']:.0f}", m["queries"],
                         f"{f['p50'] / 1000:.0f} / {f['p95'] / 1000:.0f}" if f else "-"])
    log("")
    log(table(["page", "scale", "teachers", "in process ms", "SQL ms", "outside SQL ms", "queries",
               "1 conn. p50 / p95 ms"], rows, "lrrrrrrr"))
    last = sizes[-1]
    missed = []
    for key in keys:
        f = last["single"].get(key)
        ms = f["p95"] / 1000 if f else last["in_process"].get(key, {}).get("ms", 0)
        if ms >= TARGET_MS:
            missed.append(key)
    how = "p95 at one connection" if last["single"] else "in process (no wrk)"
    log(f"\nTarget: every roll-up page under {TARGET_MS} ms ({how}) at scale {last['scale']:g}: "
        f"{'met' if not missed else 'MISSED (' + ', '.join(missed) + ')'}")
    for key in missed:
        for q in last["in_process"][key]["slowest"]:
            log(f"  {key}: {q['ms']:.1f} ms  {q['sql'][:600]}")
    results["missed"] = missed


if __name__ == "__main__":
    main()
