from django.core import checks

from campaigns.checks import campaign_mail_has_its_own_sender


def test_campaign_mail_from_the_transactional_address_is_warned_about(settings):
    settings.DEFAULT_FROM_EMAIL = "Northwind <hello@northwind.example>"
    settings.CAMPAIGN_FROM_EMAIL = "Northwind news <HELLO@northwind.example>"
    (warning,) = campaign_mail_has_its_own_sender()
    assert warning.id == "campaigns.W001" and "hello@northwind.example" in warning.msg
    settings.CAMPAIGN_FROM_EMAIL = "Northwind news <news@news.northwind.example>"
    assert campaign_mail_has_its_own_sender() == []
    assert "campaigns.W001" not in {message.id for message in checks.run_checks()}
