"""Loaded only by the worker processes of tests/test_jobs__worker.py (tests/worker_settings.py):
a document's rendering becomes a tiny PDF naming it, after FAST_PRINT_DELAY seconds, so a
200-document batch takes seconds instead of WeasyPrint's minutes on a shared machine. The
worker, the queue, the job and its items are the real ones."""
import os
import time

from django.apps import AppConfig


class FastPrintConfig(AppConfig):
    name = "tests.fast_print"
    label = "fast_print"

    def ready(self):
        from printing import services
        from tests.job_helpers import fast_document_pdf

        delay = float(os.environ.get("FAST_PRINT_DELAY", "0.05"))

        def document_pdf(document):
            time.sleep(delay)
            return fast_document_pdf(document)

        services.document_pdf = document_pdf
