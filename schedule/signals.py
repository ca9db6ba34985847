"""What the schedule tells the apps above it (attendance, credits), which
connect their receivers in AppConfig.ready(): schedule never calls them.
Each is sent with sender=ScheduledProject and project=<the project>."""
from django.dispatch import Signal

# Before a project is closed (a "closed" log entry) by its organiser, under its row
# lock; also sent with user=<the organiser> and results=<their assessment, {teacher
# id: result}>. Each receiver returns a list of reasons it cannot close yet; any
# reason refuses the closing (attendance: sessions not over or not marked; when
# there are none, it records the assessment results).
project_closing = Signal()
# A project was closed: finished. Receivers run in the closing transaction
# (credits: the attendance becomes credits).
project_finished = Signal()
# A filed change request changed a project (调整报批); also sent with
# changes=<the ScheduleChange rows applied>. Sent inside the filing's transaction.
project_changed = Signal()
# A project was cancelled; also sent with reason=<why> and user=<who cancelled>.
# (No page cancels a project yet; the notices are ready for one.)
project_cancelled = Signal()
