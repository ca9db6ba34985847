import functools

from django.db import connection


def unread_notices(request):
    """The bell's count of unread notices (one query, on every page)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(), [user.pk])
        [count] = cursor.fetchone()
    return {"notice_unread_count": count}


@functools.cache
def _unread_count_sql() -> str:
    """Notice.objects.filter(user=user, read_at__isnull=True).count(), written out once from the
    model's table and columns: the ORM builds and compiles it again on every page (a thousand calls)."""
    from .models import Notice

    def column(name):
        return connection.ops.quote_name(Notice._meta.get_field(name).column)

    return (f"SELECT COUNT(*) FROM {connection.ops.quote_name(Notice._meta.db_table)}"
            f" WHERE {column('user')} = %s AND {column('read_at')} IS NULL")
