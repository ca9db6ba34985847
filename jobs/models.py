"""A job: long work (a batch print, a large export, a recount) run by a worker, that its
owner follows on a page (progress, cancel, the result to download, the error in words)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job state", "Waiting")
        RUNNING = "running", pgettext_lazy("job state", "Running")
        DONE = "done", pgettext_lazy("job state", "Done")
        FAILED = "failed", pgettext_lazy("job state", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("job state", "Cancelled")

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs",
                              verbose_name=_("owner"))
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    # What the task needs (ids, year, format): plain JSON, read again on every attempt.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED,
                             db_index=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    result_file = models.CharField(_("result file"), max_length=300, blank=True)   # a name in default_storage
    result_name = models.CharField(_("result file name"), max_length=200, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)   # in the district's language
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # The task that runs the job: its dotted path (to enqueue it again after a lost worker),
    # the django-tasks result id of the latest attempt, and a token that attempt carries: an
    # older attempt that wakes up after a newer one was enqueued stops at its next item.
    task_path = models.CharField(max_length=200)
    task_result_id = models.CharField(_("task result id"), max_length=64, blank=True)
    run_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")) | models.Q(total=0),
                                   name="job_done_within_total"),
        ]

    def __str__(self):
        return self.title

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class JobItem(models.Model):
    """One finished item of a job (a document of a batch): written once per key, so a job run
    again after a lost worker skips what is done and never outputs an item twice."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    part_file = models.CharField(max_length=300, blank=True)   # the item's output in default_storage
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="one_item_per_job_and_key")]

    def __str__(self):
        return f"{self.job_id}:{self.key}"
