"""PDF rendering benchmark: the 14-project annual plan and a batch of 100
approved documents. Prints median/p95 seconds per document and peak memory.

    .venv/bin/python bench/bench_pdf.py            # fresh SQLite file in /tmp
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_pdf.py

Builds its data through the real review flow (the demo district plus copies
of its school plan), so the documents have genuine trails.
"""
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from plans.models import Document, SchoolPlan, SchoolPlanYear  # noqa: E402
from printing.services import document_pdf, documents_pdf  # noqa: E402
from workflow import services as review  # noqa: E402
from workflow.selectors import task_inbox, task_queue  # noqa: E402
from workflow.submission import document_submit  # noqa: E402

BATCH = 100


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def approve_copies(template: Document, count: int) -> list[Document]:
    """Copies of an approved school plan, each taken through the whole flow."""
    author = template.created_by
    trainer = User.objects.get(username="jinxiu_peixun")
    bureau = User.objects.get(username="jiaoyuju_gu")
    experts = list(User.objects.filter(role="expert")[:2])
    source, blocks = template.school_plan, list(template.school_plan.years.all())
    documents = []
    for n in range(count):
        with transaction.atomic():
            document = Document.objects.create(
                kind=template.kind, organisation=template.organisation, year=template.year + 1 + n,
                title=f"{template.title}（基准副本{n + 1}）", created_by=author,
            )
            fields = {f.name: getattr(source, f.name) for f in SchoolPlan._meta.fields if f.name != "document"}
            plan = SchoolPlan.objects.create(document=document, **fields)
            SchoolPlanYear.objects.bulk_create(
                SchoolPlanYear(plan=plan, start_year=b.start_year, content=b.content, forms=b.forms, hours=b.hours)
                for b in blocks
            )
        document_submit(document=document, user=author)
        on = {"process__reviewprocess__document": document}
        review.task_perform(task=task_queue(user=trainer).get(**on), user=trainer,
                            decide=review.initial_review_decide, decision="approve", experts=experts)
        for expert in experts:
            review.task_perform(task=task_inbox(user=expert).get(**on), user=expert,
                                decide=review.expert_review_give, opinion="agree", score=90, comment="同意。")
        review.task_perform(task=task_queue(user=bureau).get(**on), user=bureau, decide=review.filing_decide,
                            decision="approve", filing_number=review.filing_number_suggest(document=document))
        documents.append(document)
    return documents


def timed(render, document) -> float:
    start = time.perf_counter()
    render(document)
    return time.perf_counter() - start


def main():
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    annual = Document.objects.get(kind="annual_plan")  # the seed 004 plan, last year's (the demo follows today)
    school_plan = Document.objects.filter(kind="school_plan", status="approved").first()
    print(f"Building {BATCH} approved documents through the flow …", flush=True)
    documents = approve_copies(school_plan, BATCH - 1) + [annual]

    cold = timed(document_pdf, annual)
    plan_times = [timed(document_pdf, annual) for _ in range(10)]
    pages = len(__import__("pypdf").PdfReader(__import__("io").BytesIO(document_pdf(annual))).pages)
    batch_times = [timed(document_pdf, d) for d in documents]
    start = time.perf_counter()
    merged = documents_pdf(documents)
    merged_secs = time.perf_counter() - start

    print(f"annual plan (14 projects, {pages} pages): first render {cold:.2f} s, "
          f"then median {statistics.median(plan_times):.3f} s over 10 renders")
    print(f"batch of {len(documents)} approved documents, one PDF each: median {statistics.median(batch_times):.3f} s, "
          f"p95 {sorted(batch_times)[int(0.95 * len(batch_times)) - 1]:.3f} s, total {sum(batch_times):.1f} s")
    print(f"the same {len(documents)} merged into one PDF: {merged_secs:.1f} s, {len(merged) / 1e6:.1f} MB")
    print(f"peak memory (max RSS): {peak_mib():.0f} MiB")
    target = 0.5
    ratio = statistics.median(plan_times) / target
    print(f"annual plan median / 0.5 s target = {ratio:.2f}")


if __name__ == "__main__":
    main()
