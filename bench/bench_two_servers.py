"""Two application servers, one worker, one database, one object store (issue 14, item 6).

    .venv/bin/python bench/bench_two_servers.py --scale 0.02

Run by hand (not part of the test suite), like bench/bench_scale.py (whose PostgreSQL
cluster, gunicorn and wrk helpers it uses): root or a user who may run initdb; wrk is
installed on the fly when root. Traffic stays on 127.0.0.1.

1. a throwaway PostgreSQL cluster with a generated data set (bench/scale_data.py);
2. one S3-compatible object store for both servers: moto's server on loopback (the
   emulator the tests use; production points STORAGE_S3_* at MinIO, Ceph RGW, ...);
3. two gunicorn instances (A and B) on different loopback ports and one
   `manage.py db_worker`, all with the same settings, database and bucket;
4. a batch print started through A is followed to completion through B (the job page's
   JSON) and its result downloaded through B; a file uploaded through A (an attachment of
   a new draft) is downloaded through B, byte for byte;
5. B's task inbox under wrk without and then with a batch running on the worker:
   p50/p95 of both in the same run.
It stops everything and removes its directory at the end, also on errors.
"""
import argparse
import html.parser
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scale import (  # noqa: E402 - after the path
    ROOT, Cluster, Server, ensure_wrk, free_port, log, machine_info, run_wrk, table, use_database,
)

# A small but real PDF: the upload check looks at the extension and the first bytes.
TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


class FormFields(html.parser.HTMLParser):
    """The named fields of the first form with a csrf token, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._in_form, self._done = {}, None, False, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and a.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.setdefault(name, a.get("value", "on"))
            elif kind not in ("file", "submit", "button"):
                self.fields.setdefault(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self.fields.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


class Client:
    """One user's session against one server (the cookie works on both: same database)."""

    def __init__(self, server: Server, cookie: str):
        self.server, self.cookie = server, cookie

    def on(self, server: Server) -> "Client":
        return Client(server, self.cookie)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=300)
        try:
            conn.request(method, path, body=body, headers={"Cookie": self.cookie, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def csrf(self) -> str:
        return dict(part.split("=", 1) for part in self.cookie.split("; "))["csrftoken"]

    def form(self, path) -> dict:
        status, _headers, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        parser = FormFields()
        parser.feed(body.decode())
        return parser.fields

    def post(self, path, fields: dict, files: dict | None = None):
        fields = {**fields, "csrfmiddlewaretoken": self.csrf()}
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content, ctype) in (files or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: {ctype}\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, body=b"".join(parts), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": f"http://127.0.0.1:{self.server.port}{path}"})


def fetch_signed(url: str) -> bytes:
    """Follow a download's redirect to the object store's signed URL."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"signed URL: HTTP {response.status}")
        return body
    finally:
        conn.close()


def download(client: Client, path: str) -> tuple[bytes, str]:
    status, headers, body = client.request("GET", path)
    if status == 302:
        return fetch_signed(headers["Location"]), "signed URL of the object store"
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")
    return body, "streamed by the app from the shared storage"


def start_batch(client: Client, year: int, organisation="", kind="") -> int | None:
    """The batch print form, as the officer sends it; None when nothing matches (the form again)."""
    fields = client.form("/print/batch/")
    fields.update({"year": str(year), "format": "pdf", "kind": kind, "organisation": str(organisation)})
    status, headers, _body = client.post("/print/batch/", fields)
    if status == 200:
        return None
    if status != 302 or "/jobs/" not in headers.get("Location", ""):
        raise RuntimeError(f"batch print through {client.server.port}: HTTP {status} {headers.get('Location')}")
    return int(headers["Location"].rstrip("/").split("/")[-1])


def follow_job(client: Client, job_id: int, timeout: float) -> dict:
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        status, _headers, body = client.request("GET", f"/jobs/{job_id}/status/")
        if status != 200:
            raise RuntimeError(f"job status through {client.server.port}: HTTP {status}")
        last = json.loads(body)
        if last.get("state") in ("done", "failed", "cancelled"):
            return last
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} not finished after {timeout:.0f} s: {last}")


def two_servers(*, workdir: Path, run_env: dict, targets: dict, workers: int, duration: int,
                connections: int, storage: str) -> dict:
    """Items 3-5 of the module's text on a data set already built: two gunicorn instances and
    one db_worker with `run_env` (its DATABASE_URL, its storage), the batch and the upload
    followed across them, and B's inbox without and with a batch. Prints its table; returns
    the figures. Used by main() below and by bench/bench_scale.py (--two-servers)."""
    import re

    processes, servers = [], []
    results = {"storage": storage}
    run_env = {**run_env, "TASKS_BACKEND": "database"}
    try:
        for name in ("A", "B"):
            server = Server(workdir, run_env, workers)
            server.log_path = workdir / f"gunicorn-{name}.log"
            server.start()
            servers.append(server)
        worker_log = open(workdir / "worker.log", "w")
        worker = subprocess.Popen([sys.executable, "manage.py", "db_worker"], cwd=ROOT, env=run_env,
                                  stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(worker)
        a, b = servers
        log(f"Servers A :{a.port} and B :{b.port} ({workers} workers each), one db_worker, "
            f"one PostgreSQL database, storage: {storage}")

        officer = Client(a, a.login(targets["training_officer"], targets["password"]))
        school = Client(a, a.login(targets["school_officer"], targets["password"]))

        # --- a batch through A, followed and downloaded through B ---------------------------------
        # One school's approved documents of last year: a short batch (the district's is for the load).
        year = targets["year"] - 1
        t = time.perf_counter()
        job_id = (start_batch(officer, year, organisation=targets["school_id"])
                  or start_batch(officer, year, kind="annual_plan"))
        if job_id is None:
            raise RuntimeError(f"no approved document of {year} to print")
        state = follow_job(officer.on(b), job_id, timeout=900)
        batch_seconds = time.perf_counter() - t
        if state["state"] != "done":
            raise RuntimeError(f"batch ended {state}")
        pdf, how = download(officer.on(b), f"/jobs/{job_id}/download/")
        if not pdf.startswith(b"%PDF"):
            raise RuntimeError("the batch result downloaded through B is not a PDF")
        results["batch"] = {"job": job_id, "documents": state.get("total"), "seconds": round(batch_seconds, 1),
                            "bytes": len(pdf), "download": how}
        log(f"Batch print of {state.get('total')} documents of {year}: started through A, followed through B, "
            f"done in {batch_seconds:.1f} s; result {len(pdf) / 1e6:.1f} MB downloaded through B ({how})")

        # --- a file uploaded through A, downloaded through B ----------------------------------------
        fields = school.form("/documents/new/project_proposal/")
        fields.update({"doc-title": "两台服务器上传测试", "doc-year": str(targets["year"])})
        content = TINY_PDF + secrets.token_hex(16).encode()
        status, headers, _ = school.post("/documents/new/project_proposal/", fields,
                                         files={"attachment-file": ("方案.pdf", content, "application/pdf")})
        if status != 302:
            raise RuntimeError(f"upload through A: HTTP {status}")
        detail = headers["Location"]
        _s, _h, page = school.on(b).request("GET", detail)
        link = re.search(r'href="(/documents/\d+/attachments/\d+/)"', page.decode())
        if not link:
            raise RuntimeError("the attachment is not listed on B's document page")
        got, how = download(school.on(b), link.group(1))
        if got != content:
            raise RuntimeError("the file downloaded through B differs from the one uploaded through A")
        results["upload"] = {"bytes": len(content), "download": how}
        log(f"Attachment uploaded through A, downloaded through B ({how}): {len(content)} bytes, identical")

        # --- B's inbox without and with a batch running -------------------------------------------
        url = f"http://127.0.0.1:{b.port}/inbox/"
        options = {"connections": connections, "threads": min(2, connections), "timeout": 60}
        run_wrk(url, officer.cookie, duration=3, **options)  # warm-up
        quiet = run_wrk(url, officer.cookie, duration=duration, **options)
        job_id = start_batch(officer, year)
        if job_id is None:
            raise RuntimeError(f"no approved document of {year} to print")
        busy = run_wrk(url, officer.cookie, duration=duration, **options)
        _s, _h, body = Client(a, officer.cookie).request("GET", f"/jobs/{job_id}/status/")
        progress = json.loads(body)
        # Stop the district's batch through B (its cancel button): the measurement is over.
        fields = officer.on(b).form(f"/jobs/{job_id}/")
        officer.on(b).post(f"/jobs/{job_id}/cancel/", {k: v for k, v in fields.items() if k == "csrfmiddlewaretoken"})
        ended = follow_job(officer.on(b), job_id, timeout=900)
        log(f"The district's batch ({progress.get('total')} documents) was cancelled through B: {ended['state']}")
        results["inbox"] = {"quiet": quiet, "busy": busy, "batch_progress_at_end": progress}
        results["p95_ratio"] = busy["p95"] / quiet["p95"] if quiet["p95"] else 0
        log(f"\nTwo servers, one worker, one database, one storage ({storage}); wrk -c{connections} -d{duration}s "
            f"on B (the batch was at {progress.get('done')}/{progress.get('total')} when the measurement ended):")
        log(two_servers_table(results))
        return results
    finally:
        for server in servers:
            server.stop()
        for proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


def two_servers_table(results: dict) -> str:
    """The two-server run in one table: the batch, the upload, B's inbox without and with the batch."""
    batch, upload = results["batch"], results["upload"]
    quiet, busy = results["inbox"]["quiet"], results["inbox"]["busy"]
    rows = [
        ["batch started through A, followed through B", "done",
         f"{batch['documents']} documents in {batch['seconds']} s, {batch['bytes'] / 1e6:.1f} MB via {batch['download']}"],
        ["file uploaded through A, downloaded through B", "identical",
         f"{upload['bytes']} bytes via {upload['download']}"],
        ["B: task inbox, no batch", f"p95 {quiet['p95'] / 1000:.0f} ms",
         f"p50 {quiet['p50'] / 1000:.0f} ms, {quiet['rps']:.1f} req/s, {quiet['errors']} errors"],
        ["B: task inbox, batch running", f"p95 {busy['p95'] / 1000:.0f} ms",
         f"p50 {busy['p50'] / 1000:.0f} ms, {busy['rps']:.1f} req/s, {busy['errors']} errors"],
        ["p95 with the batch / without", f"{results['p95_ratio']:.2f}", ""],
    ]
    return table(["two servers", "result", "details"], rows, "lll")


def start_object_store() -> tuple[subprocess.Popen, dict]:
    """moto's S3 server on loopback with one bucket; returns the process and the settings' env."""
    s3_port = free_port()
    bucket = "training-files"
    storage_env = {
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "STORAGE_S3_ACCESS_KEY_ID": "bench",
        "STORAGE_S3_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret",
    }
    moto = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
                             "-p", str(s3_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    import boto3

    for _ in range(100):
        try:
            boto3.client("s3", endpoint_url=storage_env["STORAGE_S3_ENDPOINT_URL"], region_name="us-east-1",
                         aws_access_key_id="bench", aws_secret_access_key="bench-secret").create_bucket(
                Bucket=bucket)
            break
        except Exception:  # noqa: BLE001 - the emulator is still starting
            time.sleep(0.2)
    return moto, storage_env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.02, help="data set size, 1 = province (default 0.02)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="wrk seconds per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    ensure_wrk()

    workdir = Path(tempfile.mkdtemp(prefix="bench-two-"))
    os.chmod(workdir, 0o755)
    cluster = Cluster(workdir, free_port())
    moto = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    results = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    try:
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
            "BENCH_STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media-unused"),  # files go to the object store
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": cluster.url("bench_template"),
            "TASKS_BACKEND": "database",
        }
        moto, storage_env = start_object_store()
        env.update(storage_env)
        os.environ.update(env)
        cluster.start()
        import django

        django.setup()
        from django.core.management import call_command

        results["machine"] = machine_info(cluster)
        cluster.sql("CREATE DATABASE bench_template")
        use_database("bench_template")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        from bench.scale_data import Generator

        use_database("postgres")
        cluster.sql("CREATE DATABASE bench_main TEMPLATE bench_template")
        use_database("bench_main")
        targets = Generator(args.scale, log=lambda *a: None).run()
        use_database("postgres")
        from django.db import connections

        connections.close_all()
        log(f"Data set at scale {args.scale:g}: {targets['district_documents']} documents in the first district")
        run_env = {**os.environ, "DATABASE_URL": cluster.url("bench_main")}
        results.update(two_servers(workdir=workdir, run_env=run_env, targets=targets, workers=args.workers,
                                   duration=args.duration, connections=args.connections,
                                   storage=f"object store (moto) {storage_env['STORAGE_S3_ENDPOINT_URL']}"))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    finally:
        if moto is not None and moto.poll() is None:
            os.killpg(moto.pid, signal.SIGTERM)
            try:
                moto.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(moto.pid, signal.SIGKILL)
        cluster.stop()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        log(f"Stopped the servers, the worker, the object store and PostgreSQL; removed {workdir}")


if __name__ == "__main__":
    main()
