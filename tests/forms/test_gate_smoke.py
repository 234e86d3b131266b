from leads.models import Lead, Person
from tests.forms.conftest import submit


def test_gated_whitepaper_journey(client, whitepaper, consent_policies, mailoutbox):
    response = submit(client, whitepaper.url, get_params="?utm_source=linkedin&utm_campaign=q3")
    assert response.status_code == 200, response.content.decode()[:3000]
    html = response.content.decode()
    assert "Download the PDF" in html, html[:5000]
    lead = Lead.objects.get()
    assert lead.utm_source == "linkedin"
    person = Person.objects.get()
    assert person.email == "jana.novak@meridian-bank.de"
