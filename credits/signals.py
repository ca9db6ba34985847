"""What credits tell the apps above them (notices), which connect their
receivers in AppConfig.ready(): credits never call them."""
from django.dispatch import Signal

# Entries were written to a teacher's ledger (one record: its entry and any bonus),
# inside the writing transaction. sender=CreditEntry; teacher=<the teacher>; entries=<the list>.
credits_recorded = Signal()
