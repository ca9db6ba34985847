"""What a finished job means to higher apps (notices tells its owner), connected in their
AppConfig.ready(): jobs sits low and knows none of them."""
from django.dispatch import Signal

# sender=Job, job=<Job> (state done, failed or cancelled)
job_finished = Signal()
