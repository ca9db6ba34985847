"""Racing requests: run several POSTs at the same moment, each in its own thread
(and so its own database connection), and collect what each one got.

Tests using these need ``pytest.mark.django_db(transaction=True)`` so that the
threads see each other's commits. On PostgreSQL they exercise the row locks
(select_for_update); on SQLite the IMMEDIATE transactions. ``postgres_only``
marks a race that is meaningful only with real row locks.

    results = race([(logged_in(user), url, data), ...])
    assert sorted(results) == [302, 403, 403, 403]
"""
import threading

import pytest
from django.db import connection
from django.test import Client

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks",
)


def logged_in(user) -> Client:
    """A client whose server errors come back as a 500 response, not an exception."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def race(requests, *, method="post"):
    """Run each (client, url, data) request at the same moment; return the status codes,
    in the order given. An exception in a thread is returned as its repr (a failure,
    never a refusal)."""
    return [result[0] if isinstance(result, tuple) else result
            for result in race_responses(requests, method=method)]


def race_responses(requests, *, method="post"):
    """Like race(), but each result is (status_code, response) or an exception's repr."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, client, url, data):
        try:
            barrier.wait()
            response = getattr(client, method)(url, data)
            results[index] = (response.status_code, response)
        except Exception as error:  # a 500 or a lock error is a failure, not a refusal
            results[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def race_calls(functions):
    """Run plain callables at the same moment (services, not views); return each
    one's result or the exception it raised (as the exception object)."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
