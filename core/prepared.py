"""A hot queryset's SQL compiled once per database, run again with each request's own values.

Building and compiling a query with filtered aggregates and subqueries costs the ORM a few
milliseconds each time, more than running it on a page whose figures come from a few such
queries (issue 14 item 5). The query is built by the same function the other callers use,
once, with stand-ins for its arguments; each run puts the arguments in the stand-ins'
places among the parameters and converts the rows as the ORM does (its converters).
What is kept is SQL text and the places of its parameters, never a result.

Only for arguments that the ORM passes as parameters whatever their value, in a query of the
same shape: dates and numbers compared (``=``, ``range``, ``__in`` a subquery), not None,
booleans or lists (they change the SQL).
"""
import datetime
import threading

from django.db import connections

# Stand-ins no real argument has (years before any school, ids below zero).
_DATE_STAND_IN = datetime.date(1001, 1, 1)
_INT_STAND_IN = -918273000


class PreparedQuery:
    """``build(**arguments)`` returns the queryset; ``arguments`` names each argument and
    its kind (``date`` or ``int``). ``rows(**values)``: the queryset's rows as tuples (as
    ``values_list``), with the converters the ORM applies."""

    def __init__(self, build, **arguments):
        self.build, self.arguments = build, arguments
        self._compiled = {}  # database alias → (sql, places, query, converters)
        self._lock = threading.Lock()

    def _stand_ins(self):
        stand_ins = {}
        for number, (name, kind) in enumerate(self.arguments.items()):
            if kind is datetime.date:
                stand_ins[name] = _DATE_STAND_IN + datetime.timedelta(days=number)
            elif kind is int:
                stand_ins[name] = _INT_STAND_IN - number
            else:
                raise TypeError(f"{name}: a date or an int, not {kind}")
        return stand_ins

    def _compile(self, using):
        connection = connections[using]
        stand_ins = self._stand_ins()
        compiler = self.build(**stand_ins).query.get_compiler(using)
        sql, params = compiler.as_sql()
        adapted = {self._adapt(connection, value): name for name, value in stand_ins.items()}
        places = [adapted.get(param) for param in params]  # an argument's name, or None for a constant
        missing = set(stand_ins) - set(places)
        if missing:
            raise ValueError(f"not parameters of the query: {sorted(missing)}")
        converters = compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]])
        return sql, list(zip(places, params)), compiler.query, converters

    @staticmethod
    def _adapt(connection, value):
        if isinstance(value, datetime.date):
            return connection.ops.adapt_datefield_value(value)
        return value

    def rows(self, using="default", **values) -> list[tuple]:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(using, self._compile(using))
        sql, places, query, converters = compiled
        connection = connections[using]
        params = [param if name is None else self._adapt(connection, values[name]) for name, param in places]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:  # (a compiler of this thread's connection)
            rows = [tuple(row) for row in query.get_compiler(using).apply_converters(rows, converters)]
        return rows
