"""One page of a long list (templates/_pager.html draws the links).

A list page shows a bounded number of rows whatever the data, so its time is bounded by
its SQL: ``?page=`` is validated (a malformed number is a 400 with a Chinese message) and a
page beyond the end shows the last page (a list that shrank since the link was made).
"""
from django.core.paginator import Page, Paginator

from .params import parse_page


def page_of(request, items, per_page: int) -> Page:
    """The requested page of ``items`` (a queryset: LIMIT/OFFSET plus one COUNT; or a list)."""
    number = parse_page(request.GET.get("page"))
    paginator = Paginator(items, per_page)
    return paginator.page(min(number, paginator.num_pages))
