import secrets

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a
    district office PC with an English browser would get English pages.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY with every response.

    Each request gets a fresh nonce (request.csp_nonce); a template that needs
    an inline <style> or <script> gives it nonce="{{ request.csp_nonce }}", and
    "'nonce'" in the policy stands for "'nonce-<that value>'". A response that
    already carries a policy keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp_header(policy, request.csp_nonce)
        return response


def csp_header(policy: dict, nonce: str) -> str:
    nonce_source = f"'nonce-{nonce}'"
    return "; ".join(
        " ".join([directive] + [nonce_source if source == "'nonce'" else source for source in sources])
        for directive, sources in policy.items()
    )


class PathIdBoundsMiddleware:
    """An <int:…> path argument larger than any id column (2^63-1) is a 404, before any
    view (the project's, viewflow's or the admin's) hands it to the database, which
    would fail with OverflowError (SQLite) rather than find nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.http import Http404

        from core.params import MAX_ID

        if any(isinstance(value, int) and abs(value) > MAX_ID for value in (*view_args, *view_kwargs.values())):
            raise Http404
        return None
