"""Sending a campaign through the real SMTP server on loopback: exactly one message per eligible
recipient, as a mail server sees it (both parts, the bulk-sender headers, the campaign's own From),
one connection per chunk, nobody sent twice (a second task, a dead worker's rows), refusals."""

from email.utils import parseaddr

import pytest
from freezegun import freeze_time

from campaigns.models import Campaign, CampaignRecipient, Suppression
from campaigns.sending import campaign_send, campaigns_sending_sweep, chunk_send, senders_run
from campaigns.sending.claim import mine, recipients_claim
from campaigns.signing import recipient_from_token
from leads.models import Interaction
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import FROM, campaign_to, never_sleeping_throttle, person, rows

smtp = sending_helpers.smtp
held_tasks = sending_helpers.held_tasks
suppression_module = sending_helpers.suppression_module

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("suppression_module")]
Row = CampaignRecipient.Status


def send_now(campaign, on_commit):
    with on_commit(execute=True):
        return campaign_send(campaign, by=None)


def test_every_eligible_recipient_gets_exactly_one_message_as_a_mail_server_sees_it(
    smtp, django_capture_on_commit_callbacks
):
    people = [person() for _ in range(5)]
    left_out = person(do_not_contact=True)
    campaign = campaign_to([*people, left_out], from_name="Anna at Signal")

    send_now(campaign, django_capture_on_commit_callbacks)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT and campaign.finished_at is not None
    received = smtp.messages
    assert sorted(item.rcpt_tos[0] for item in received) == sorted(p.email for p in people)
    assert smtp.to(left_out.email) == []
    for item in received:
        row = CampaignRecipient.objects.get(campaign=campaign, email=item.rcpt_tos[0])
        message = item.message
        assert item.parts() == ["multipart/alternative", "text/plain", "text/html"]
        assert parseaddr(str(message["From"])) == ("Anna at Signal", "news@signal-news.example")
        assert "transactional.example" not in str(message["From"]) + item.mail_from
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https_link, mailto = [part.strip(" <>") for part in str(message["List-Unsubscribe"]).split(",")]
        assert https_link.startswith("https://www.signal.example/email/u/")
        token = https_link.rstrip("/").rsplit("/", 1)[1]
        assert recipient_from_token(token, "unsubscribe") == row.pk
        assert mailto == f"mailto:unsubscribe@signal-news.example?subject=unsubscribe-{token}"
        assert str(message["List-Id"]).endswith(f"<campaign-{campaign.pk}.signal-news.example>")
        assert message["Precedence"] == "bulk"
        assert row.status == Row.SENT and row.sent_at and str(message["Message-ID"]).strip() == row.message_id
    assert rows(campaign, status=Row.LEFT_OUT).get().person == left_out
    # Each person's timeline says which email they were sent (the one left out was sent nothing).
    sent = Interaction.objects.filter(type="email_sent", object_id=str(campaign.pk))
    assert sorted(sent.values_list("person_id", flat=True)) == sorted(p.pk for p in people)
    assert set(sent.values_list("object_label", flat=True)) == {campaign.name}


def test_the_list_id_names_the_topic_and_a_hostile_sender_name_adds_no_header(smtp, django_capture_on_commit_callbacks):
    from tests.factories.campaigns import EmailTopicFactory

    someone = person()
    topic = EmailTopicFactory(name="Product news")
    campaign = campaign_to([someone], topic=topic, from_name="Evil\r\nBcc: victim@example.com")
    send_now(campaign, django_capture_on_commit_callbacks)
    (item,) = smtp.messages
    assert item.rcpt_tos == [someone.email]
    assert item.message["Bcc"] is None
    assert parseaddr(str(item.message["From"])) == ("Evil Bcc: victim@example.com", "news@signal-news.example")
    assert str(item.message["List-Id"]) == f'"Product news" <product-news-{topic.pk}.signal-news.example>'


def test_one_connection_per_chunk(smtp, settings, django_capture_on_commit_callbacks):
    settings.CAMPAIGN_SEND_CHUNK = 3
    campaign = campaign_to([person() for _ in range(7)])
    send_now(campaign, django_capture_on_commit_callbacks)
    assert len(smtp.messages) == 7
    assert smtp.connections == 3  # 3 + 3 + 1


def test_a_second_send_task_sends_nobody_twice(smtp, django_capture_on_commit_callbacks):
    campaign = campaign_to([person() for _ in range(4)])
    send_now(campaign, django_capture_on_commit_callbacks)
    assert len(smtp.messages) == 4
    from campaigns.tasks import campaign_send_task

    campaign_send_task.enqueue(campaign.pk)  # the task queued twice (immediate: it runs here)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)  # even if it were still sending
    assert senders_run(campaign.pk)["sent"] == 0
    assert len(smtp.messages) == 4
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


def test_sending_twice_is_refused(smtp, django_capture_on_commit_callbacks):
    campaign = campaign_to([person()])
    send_now(campaign, django_capture_on_commit_callbacks)
    with pytest.raises(ValueError, match="^status:"):
        campaign_send(campaign)
    assert len(smtp.messages) == 1


def test_rows_a_dead_worker_held_are_sent_by_the_sweep_and_its_late_write_changes_nothing(
    smtp, settings, held_tasks, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_SEND_CHUNK = 2
    campaign = campaign_to([person() for _ in range(5)])
    send_now(campaign, django_capture_on_commit_callbacks)  # prepared; the send tasks wait in the queue
    from campaigns.sending import campaign_prepare

    campaign_prepare(campaign.pk)
    with freeze_time("2030-01-01 12:00:00"):
        dead_ids, dead_claim = recipients_claim(campaign.pk, limit=2)  # a worker claims two, then dies
    assert len(dead_ids) == 2
    assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 3
    assert len(smtp.messages) == 3
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENDING  # two still "sending"

    with freeze_time("2030-01-01 12:00:00") as clock:
        clock.move_to("2030-01-01 12:06:00")  # past CAMPAIGN_SENDING_TIMEOUT_MINUTES (5)
        with django_capture_on_commit_callbacks(execute=True):
            counts = campaigns_sending_sweep()
        assert counts["released"] == 2 and counts["senders queued"] == 1
        assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 2

    assert sorted(i.rcpt_tos[0] for i in smtp.messages) == sorted(rows(campaign).values_list("email", flat=True))
    assert mine(dead_ids[0], dead_claim).update(status=Row.FAILED) == 0  # the dead worker's late write
    assert rows(campaign, status=Row.SENT).count() == 5
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


def test_a_permanent_refusal_fails_and_suppresses_the_address_the_rest_are_sent(
    smtp, django_capture_on_commit_callbacks
):
    good, gone = person(), person(email="gone@nowhere.example")
    smtp.refuse_recipient("gone@nowhere.example", "550 5.1.1 No such user here")
    campaign = campaign_to([good, gone])
    send_now(campaign, django_capture_on_commit_callbacks)
    assert [item.rcpt_tos for item in smtp.messages] == [[good.email]]
    row = rows(campaign, person=gone).get()
    assert row.status == Row.FAILED and "550" in row.last_error and row.bounced_at
    assert Suppression.objects.get(email_key="gone@nowhere.example").reason == Suppression.Reason.HARD_BOUNCE
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


def test_a_policy_refusal_fails_without_suppressing_the_address(smtp, django_capture_on_commit_callbacks):
    someone = person(email="strict@bigmail.example")
    smtp.refuse_recipient("strict@bigmail.example", "550 5.7.15 Bulk mail does not meet our requirements")
    campaign = campaign_to([someone])
    send_now(campaign, django_capture_on_commit_callbacks)
    assert rows(campaign).get().status == Row.FAILED
    assert not Suppression.objects.exists()


def test_a_temporary_refusal_is_tried_again_later_by_the_sweep(smtp, django_capture_on_commit_callbacks):
    busy = person(email="busy@slow.example")
    smtp.refuse_recipient("busy@slow.example", "451 4.3.0 Try again later")
    campaign = campaign_to([busy, person()])
    with freeze_time("2030-01-01 12:00:00") as clock:
        send_now(campaign, django_capture_on_commit_callbacks)
        row = rows(campaign, person=busy).get()
        assert (row.status, row.attempts, len(smtp.messages)) == (Row.PENDING, 1, 1)
        assert row.retry_at is not None
        smtp.accept()
        with django_capture_on_commit_callbacks(execute=True):
            campaigns_sending_sweep()  # not due yet: nothing
        assert len(smtp.messages) == 1
        clock.move_to("2030-01-01 12:04:00")
        with django_capture_on_commit_callbacks(execute=True):
            campaigns_sending_sweep()
    assert len(smtp.to("busy@slow.example")) == 1
    assert rows(campaign, person=busy).get().status == Row.SENT
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


def test_a_recipient_refused_every_time_fails_after_the_last_attempt(
    smtp, settings, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_MAX_ATTEMPTS = 2
    busy = person(email="busy@slow.example")
    smtp.refuse_recipient("busy@slow.example", "451 4.3.0 Try again later")
    campaign = campaign_to([busy])
    with freeze_time("2030-01-01 12:00:00") as clock:
        send_now(campaign, django_capture_on_commit_callbacks)
        clock.move_to("2030-01-01 12:10:00")
        with django_capture_on_commit_callbacks(execute=True):
            campaigns_sending_sweep()
    row = rows(campaign).get()
    assert (row.status, row.attempts) == (Row.FAILED, 2)
    assert smtp.messages == [] and not Suppression.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT  # done: nobody left to send to


def test_a_mail_server_that_is_down_loses_nobody(smtp, held_tasks, django_capture_on_commit_callbacks):
    campaign = campaign_to([person() for _ in range(3)])
    send_now(campaign, django_capture_on_commit_callbacks)
    from campaigns.sending import campaign_prepare

    campaign_prepare(campaign.pk)
    smtp.stop()
    result = chunk_send(campaign.pk, throttle=never_sleeping_throttle())
    assert (result.outcome, result.released, result.failed) == ("connection failed", 3, 0)
    assert list(rows(campaign).values_list("status", "attempts").distinct()) == [(Row.PENDING, 0)]
    smtp.start()
    with freeze_time("2100-01-01"):  # the retry is due
        assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 3
    assert len(smtp.messages) == 3


def test_the_throttle_keeps_to_the_emails_per_minute_without_sleeping_in_tests(smtp, held_tasks, home_page):
    from campaigns.models import CampaignSettings
    from campaigns.sending import campaign_prepare
    from campaigns.sending.throttle import Throttle
    from tests.campaigns.sending_helpers import FakeClock

    settings_row = CampaignSettings.for_site(home_page.get_site())
    settings_row.emails_per_minute = 120  # two a second
    settings_row.save()
    campaign = campaign_to([person() for _ in range(5)])
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PREPARING)
    campaign_prepare(campaign.pk)
    clock = FakeClock()
    sent_at = []
    throttle = Throttle(120, clock=clock.time, sleep=clock.sleep, key="throttle-test")
    original = throttle.wait

    def wait():
        original()
        sent_at.append(int(clock.time()))

    throttle.wait = wait
    assert senders_run(campaign.pk, throttle=throttle)["sent"] == 5
    assert len(smtp.messages) == 5
    assert max(sent_at.count(second) for second in set(sent_at)) == 2
    assert len(clock.sleeps) == 2 and all(0 < pause <= 1 for pause in clock.sleeps)


def test_an_empty_audience_or_an_empty_email_cannot_be_sent(smtp):
    nobody = campaign_to([person(do_not_contact=True)])
    with pytest.raises(ValueError, match="^audience:"):
        campaign_send(nobody)
    no_subject = campaign_to([person()], subject="   ")
    with pytest.raises(ValueError, match="^subject:"):
        campaign_send(no_subject)
    no_body = campaign_to([person()], body=[])
    with pytest.raises(ValueError, match="^body:"):
        campaign_send(no_body)
    assert not CampaignRecipient.objects.exists()
    assert set(Campaign.objects.values_list("status", flat=True)) == {Campaign.Status.DRAFT}
    assert smtp.messages == []


def test_the_from_address_is_the_campaign_sender_not_the_transactional_one(smtp, django_capture_on_commit_callbacks):
    campaign = campaign_to([person()])
    send_now(campaign, django_capture_on_commit_callbacks)
    (item,) = smtp.messages
    assert parseaddr(str(item.message["From"])) == parseaddr(FROM)
