"""Running callables at the same instant in threads, for the PostgreSQL race tests."""

import threading

from django.db import connection


def together(calls):
    """Run the callables in threads released at the same instant; (results by index, errors)."""
    barrier, results, errors = threading.Barrier(len(calls)), {}, []

    def run(index, call):
        try:
            barrier.wait(timeout=20)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - collected and asserted by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results, errors
