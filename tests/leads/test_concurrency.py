"""Two submissions with the same email at the same instant make one person (PostgreSQL, threads)."""

import threading

import pytest
from django.db import connection

from leads.models import Company, Lead, Person
from leads.services import lead_capture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs real concurrent transactions (PostgreSQL)")
def test_simultaneous_captures_of_one_email_make_one_person_and_one_company():
    threads, barrier, errors = [], threading.Barrier(8), []

    def submit(n):
        try:
            barrier.wait(timeout=10)
            lead_capture(
                source="form", payload={"email": f"Jane.Doe+{n}@Concurrent-Bank.de", "company": "CB"}, origin_id=str(n)
            )
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    for n in range(8):
        threads.append(threading.Thread(target=submit, args=(n,)))
        threads[-1].start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Lead.objects.count() == 8
    assert set(Lead.objects.values_list("status", flat=True)) == {"processed"}
    assert Person.objects.count() == 1
    assert Company.objects.count() == 1
    assert Lead.objects.filter(person=Person.objects.get()).count() == 8
