"""Hashes for the few inline styles and handlers in third-party templates.

The project's own templates use no inline script, and an inline <style> only
with the request's nonce. Django's admin and viewflow ship a few inline bits we
cannot give a nonce without copying their templates; instead the policy allows
exactly those bits, by hash, read from the installed templates so that an
upgrade that changes them changes the hashes too.
"""
import base64
import hashlib
import html
import importlib.util
import re
from pathlib import Path

THIRD_PARTY_TEMPLATES = {
    "viewflow": [
        "viewflow/workflow/process_cancel.html",
        "viewflow/workflow/tasks_assign.html",
        "viewflow/workflow/tasks_unassign.html",
        "viewflow/views/delete_action.html",
    ],
    "django.contrib.admin": ["admin/change_list.html"],
}

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_HANDLER = re.compile(r"""\son[a-z]+="([^"]*)\"""")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _template_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "templates"


def third_party_inline_hashes() -> tuple[list[str], list[str]]:
    """(style hashes, event-handler hashes) of the static inline bits of THIRD_PARTY_TEMPLATES.

    Blocks with template tags in them render differently each time and are
    left out (none of the listed ones has any).
    """
    styles, handlers = set(), set()
    for package, names in THIRD_PARTY_TEMPLATES.items():
        root = _template_dir(package)
        for name in names:
            path = root / name if root else None
            if path is None or not path.exists():
                continue
            source = path.read_text(encoding="utf-8")
            styles.update(_hash(block) for block in _STYLE.findall(source) if "{" + "%" not in block
                          and "{{" not in block)
            handlers.update(_hash(html.unescape(code)) for code in _HANDLER.findall(source) if "{{" not in code)
    return sorted(styles), sorted(handlers)
