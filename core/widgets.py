"""Widgets shared by every form of the project."""
from django import forms


class DateInput(forms.DateInput):
    """A browser date picker that shows its value.

    `<input type="date">` accepts only ``YYYY-MM-DD``; Django would render the active locale's
    first input format (``2026/12/10`` under zh-hans), which the browser shows as an empty field.
    """

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 (Django's own argument name)
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """A browser time picker; ``<input type="time">`` accepts only ``HH:MM``."""

    input_type = "time"

    def __init__(self, attrs=None, format="%H:%M"):  # noqa: A002
        super().__init__(attrs=attrs, format=format or "%H:%M")
