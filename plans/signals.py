"""Hooks plans offers the apps above it (.importlinter): plans never imports them."""
from django.dispatch import Signal

# A document's pages (its page, the review task pages, the printout) ask what
# else to show. Sent with sender=Document, document=<it>, user=<the reader, or
# None where the page is for no one in particular>; each receiver returns a
# dict of extra template context. workflow (connected in WorkflowConfig.ready())
# adds the review trail and, for a reader, the resubmit link and the copy form.
document_page = Signal()
