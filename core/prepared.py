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

# Two sets of stand-ins: a parameter is an argument's place when it is that argument's
# stand-in in both compilations (a constant of the query is the same in both). Numbers
# within every integer field's range (the ORM drops a comparison with a number beyond it).
_STAND_INS = ((datetime.date(1001, 1, 1), 30001), (datetime.date(1002, 1, 1), 30501))


class PreparedQuery:
    """``build(**arguments)`` returns the queryset; ``arguments`` names each argument and
    its kind (``datetime.date`` or ``int``). ``rows(**values)``: the queryset's rows as tuples
    (as ``values_list``), with the converters the ORM applies."""

    def __init__(self, build, **arguments):
        for name, kind in arguments.items():
            if kind not in (datetime.date, int):
                raise TypeError(f"{name}: a date or an int, not {kind}")
        self.build, self.arguments = build, arguments
        self._compiled = {}  # database alias → (sql, places, query, converters)
        self._lock = threading.Lock()

    def _stand_ins(self, first_date, first_int):
        return {name: first_date + datetime.timedelta(days=number) if kind is datetime.date else first_int + number
                for number, (name, kind) in enumerate(self.arguments.items())}

    def _compile(self, using):
        connection = connections[using]
        compiled = []
        for first_date, first_int in _STAND_INS:
            stand_ins = self._stand_ins(first_date, first_int)
            compiler = self.build(**stand_ins).query.get_compiler(using)
            sql, params = compiler.as_sql()
            names = {self._adapt(connection, value): name for name, value in stand_ins.items()}
            compiled.append((sql, params, names, compiler))
        (sql, params, names, compiler), (other_sql, other_params, other_names, _) = compiled
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError("the query's SQL depends on its arguments' values")
        # An argument's name, or None for a constant of the query.
        places = [names.get(param) if names.get(param) == other_names.get(other) else None
                  for param, other in zip(params, other_params)]
        missing = set(self.arguments) - set(places)
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
        if values.keys() != self.arguments.keys() or None in values.values():  # (None: IS NULL in the ORM)
            raise TypeError(f"values for {sorted(self.arguments)}, none of them None: {values}")
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
