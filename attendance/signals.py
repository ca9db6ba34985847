"""What attendance tells the apps above it (notices), which connect their
receivers in AppConfig.ready(): attendance never calls them. Each is sent
inside the change's transaction, after the change is saved."""
from django.dispatch import Signal

# An enrolment's status changed by someone's decision (confirmed, put on the
# waiting list, declined, withdrawn) or moved up from the waiting list when a
# place was freed. sender=Enrolment; enrolment=<it, saved>; previous=<its status
# before>; actor=<who decided, or None when the change followed another's>.
enrolment_changed = Signal()

# A teacher asked for leave. sender=LeaveRequest; leave=<the request>.
leave_requested = Signal()

# A leave request was approved or refused. sender=LeaveRequest; leave=<it>; actor=<who decided>.
leave_decided = Signal()
