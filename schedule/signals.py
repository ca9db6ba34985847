"""What the schedule tells the apps above it (attendance, credits), which
connect their receivers in AppConfig.ready(): schedule never calls them.
Each is sent with sender=ScheduledProject and project=<the project>."""
from django.dispatch import Signal

# Before a project is closed (a "closed" log entry), under its row lock. Each
# receiver returns a list of reasons it cannot close yet (attendance: sessions
# not over or not marked); any reason refuses the closing.
project_closing = Signal()
# A project was closed: finished. Receivers run in the closing transaction
# (credits: the attendance becomes credits).
project_finished = Signal()
