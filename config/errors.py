"""Error pages that say why, in the user's language."""
from django.shortcuts import render

from core.params import BadParameter


def bad_request(request, exception=None):
    """400: a malformed parameter says what was wrong with it (core.params.BadParameter)."""
    reason = str(exception) if isinstance(exception, BadParameter) else ""
    return render(request, "400.html", {"reason": reason}, status=400)
