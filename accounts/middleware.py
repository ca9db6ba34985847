"""A user whose password someone else chose (a printed first password, a reset by an officer)
chooses their own before anything else: every page sends them to the password change page,
which says why."""
from django.conf import settings
from django.shortcuts import redirect

# Where such a user may still go: the change page itself, logging out, the language switch.
ALLOWED_URL_NAMES = {"people:password_change", "logout", "set_language"}


class MustChangePasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "must_change_password", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_URL_NAMES:
            return None
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        return redirect("people:password_change")
