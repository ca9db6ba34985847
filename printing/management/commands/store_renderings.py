"""Backfill: store the PDF of every filed document that has no stored rendering yet.

    manage.py store_renderings            # render what is missing, here, one by one
    manage.py store_renderings --enqueue  # hand each to the task queue instead (workers render)
    manage.py store_renderings --verify   # also re-read every stored one; re-render missing/damaged files
"""
from django.core.management.base import BaseCommand
from django.db.models import Exists, OuterRef

from plans.models import Document
from printing import services
from printing.models import StoredRendering
from printing.tasks import store_rendering


class Command(BaseCommand):
    help = "Store the PDF of every filed document that has none (a filed document is rendered once)."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="enqueue one task per document")
        parser.add_argument("--verify", action="store_true",
                            help="check the stored files too (checksum); re-render missing or damaged ones")

    def handle(self, *args, enqueue=False, verify=False, **options):
        filed = Document.objects.filter(status=Document.Status.APPROVED).order_by("pk")
        if not verify:
            filed = filed.exclude(Exists(StoredRendering.objects.filter(
                document=OuterRef("pk"), version=OuterRef("version"))))
        count = 0
        for document in filed.iterator():
            if enqueue:
                store_rendering.enqueue(document.pk)
            else:
                services.stored_rendering_ensure(document)
            count += 1
        self.stdout.write(f"{count} filed documents {'enqueued' if enqueue else 'checked or stored'}.")
