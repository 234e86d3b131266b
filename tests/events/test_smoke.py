from django.core import mail

from events.models import Registration

from .conftest import register


def test_register_on_the_generated_page(event_page, event):
    response = register(event_page, n=1)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You're registered!" in html
    registration = Registration.objects.get()
    assert registration.status == "approved"
    assert registration.lead is not None
    assert [m.subject for m in mail.outbox] == ["You're registered: RevOps Meetup Berlin"]
