"""templates/_pager.html's links, drawn by core.paging.pager: the same HTML as the template
loop it replaced (kept here as the reference), whatever the page and the query string."""
import pytest
from django.core.paginator import Paginator
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

# templates/_pager.html as it was (a template loop), the reference for the tag.
TEMPLATE_PAGER = (
    '{% load i18n %}{% if page.paginator.num_pages > 1 %}<div class="pager">\n'
    "{% if page.has_previous %}<a href=\"?{% for k, v in request.GET.items %}{% if k != 'page' %}"
    "{{ k|urlencode }}={{ v|urlencode }}&{% endif %}{% endfor %}page={{ page.previous_page_number }}\">"
    '{% translate "Previous" %}</a>{% endif %}\n'
    '<span class="muted">{% blocktranslate with number=page.number total=page.paginator.num_pages '
    "count=page.paginator.count %}Page {{ number }} of {{ total }}, {{ count }} in all{% endblocktranslate %}</span>\n"
    "{% if page.has_next %}<a href=\"?{% for k, v in request.GET.items %}{% if k != 'page' %}"
    "{{ k|urlencode }}={{ v|urlencode }}&{% endif %}{% endfor %}page={{ page.next_page_number }}\">"
    '{% translate "Next" %}</a>{% endif %}\n'
    "</div>{% endif %}\n"
)
QUERIES = ["", "page=2", "tab=queue&page=3", "q=<a b>&q=\"x'&y\"&kind=%E4%B8%AD&page=1", "year=2025&a/b=c/d&empty="]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("items,number", [(3, 1), (30, 1), (30, 2), (30, 3), (1234, 50), (0, 1)])
def test_pager_tag_draws_what_the_template_drew(language, query, items, number):
    request = RequestFactory().get("/list/?" + query)
    page = Paginator(list(range(items)), 25).get_page(number)
    with translation.override(language):
        expected = Template(TEMPLATE_PAGER).render(Context({"page": page, "request": request}))
        drawn = Template('{% include "_pager.html" %}').render(Context({"page": page, "request": request}))
    assert drawn == expected


def test_no_page_no_pager():
    assert Template('{% include "_pager.html" %}').render(Context({})) == "\n"
