"""One page of a long list (templates/_pager.html draws the links, by the pager tag here).

A list page shows a bounded number of rows whatever the data, so its time is bounded by
its SQL: ``?page=`` is validated (a malformed number is a 400 with a Chinese message) and a
page beyond the end shows the last page (a list that shrank since the link was made).
"""
from urllib.parse import quote

from django import template
from django.core.paginator import Page, Paginator
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .params import parse_page

register = template.Library()  # the "paging" template library (config/settings)


def page_of(request, items, per_page: int) -> Page:
    """The requested page of ``items`` (a queryset: LIMIT/OFFSET plus one COUNT; or a list)."""
    number = parse_page(request.GET.get("page"))
    paginator = Paginator(items, per_page)
    return paginator.page(min(number, paginator.num_pages))


@register.simple_tag(takes_context=True)
def pager(context) -> str:
    """The previous/next links of context's ``page``, as the template loop that was
    templates/_pager.html drew them (the same HTML, at a tenth of the calls on every list page)."""
    page = context.get("page")
    paginator = page.paginator if page is not None else None
    if paginator is None or paginator.num_pages <= 1:
        return ""
    request = context.get("request")
    # The query string kept by the links: each parameter but the page, its last value (as QueryDict.items()),
    # as the urlencode filter quotes it.
    kept = "".join(f"{escape(quote(key, safe='/'))}={escape(quote(value, safe='/'))}&"
                   for key, value in request.GET.items() if key != "page") if request else ""
    parts = ['<div class="pager">\n']
    if page.has_previous():
        parts.append(f'<a href="?{kept}page={page.previous_page_number()}">{escape(gettext("Previous"))}</a>')
    # As blocktranslate: one message (no plural form), its values localized and escaped.
    values = {"number": page.number, "total": paginator.num_pages, "count": paginator.count}
    shown = gettext("Page %(number)s of %(total)s, %(count)s in all") % {
        name: escape(localize(value)) for name, value in values.items()}
    parts.append(f'\n<span class="muted">{shown}</span>\n')
    if page.has_next():
        parts.append(f'<a href="?{kept}page={page.next_page_number()}">{escape(gettext("Next"))}</a>')
    parts.append("\n</div>")
    return mark_safe("".join(parts))
