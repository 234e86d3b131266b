"""Pause, resume, cancel, an unsubscribe while sending, scheduled sends, A/B subject lines, and the admin's
sending screens (permissions, CSRF, the confirmation count, the progress fragment, hostile names)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from campaigns.models import Campaign, CampaignRecipient, SubjectVariant, Suppression
from campaigns.sending import (
    ab_test_result,
    campaign_cancel,
    campaign_pause,
    campaign_prepare,
    campaign_resume,
    campaign_send,
    campaigns_sending_sweep,
    chunk_send,
    senders_run,
)
from campaigns.sending.ab_test import two_proportion_p
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import campaign_to, never_sleeping_throttle, person, rows

smtp = sending_helpers.smtp
held_tasks = sending_helpers.held_tasks
suppression_module = sending_helpers.suppression_module

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("suppression_module")]
Row = CampaignRecipient.Status
Status = Campaign.Status


def prepared(campaign, on_commit):
    """Sent from the admin's point of view; the send tasks wait in the (held) queue."""
    with on_commit(execute=True):
        campaign_send(campaign)
    campaign_prepare(campaign.pk)
    campaign.refresh_from_db()
    return campaign


def test_pause_stops_after_the_chunk_and_resume_sends_the_rest(
    smtp, settings, held_tasks, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_SEND_CHUNK = 2
    campaign = prepared(campaign_to([person() for _ in range(5)]), django_capture_on_commit_callbacks)
    assert chunk_send(campaign.pk, throttle=never_sleeping_throttle()).sent == 2
    assert campaign_pause(campaign)
    assert chunk_send(campaign.pk, throttle=never_sleeping_throttle()).outcome == "not sending"
    assert len(smtp.messages) == 2 and rows(campaign, status=Row.PENDING).count() == 3
    with django_capture_on_commit_callbacks() as queued:
        assert campaign_resume(Campaign.objects.get(pk=campaign.pk))
    assert len(queued) == 1  # senders are queued again once it commits
    assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 3
    assert len(smtp.messages) == 5 and len({item.rcpt_tos[0] for item in smtp.messages}) == 5
    assert Campaign.objects.get(pk=campaign.pk).status == Status.SENT
    assert not campaign_resume(Campaign.objects.get(pk=campaign.pk))  # a sent campaign does not resume


def test_cancel_leaves_the_sent_sent_and_nobody_else_gets_it(
    smtp, settings, held_tasks, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_SEND_CHUNK = 2
    campaign = prepared(campaign_to([person() for _ in range(5)]), django_capture_on_commit_callbacks)
    chunk_send(campaign.pk, throttle=never_sleeping_throttle())
    assert campaign_cancel(campaign) == "cancelled"
    assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 0
    assert len(smtp.messages) == 2
    counts = dict(rows(campaign).values_list("status").annotate(n=Count("pk")))
    assert counts == {Row.SENT: 2, Row.CANCELLED: 3}
    assert Campaign.objects.get(pk=campaign.pk).status == Status.CANCELLED
    assert campaign_cancel(campaign) == "not cancelled"


def test_an_unsubscribe_or_a_suppression_while_sending_is_honoured_at_once(
    smtp, settings, held_tasks, suppression_module, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_SEND_CHUNK = 2
    people = [person() for _ in range(6)]
    campaign = prepared(campaign_to(people), django_capture_on_commit_callbacks)
    chunk_send(campaign.pk, throttle=never_sleeping_throttle())
    waiting = list(rows(campaign, status=Row.PENDING).select_related("person"))
    suppression_module.suppress(waiting[0].email.upper(), Suppression.Reason.UNSUBSCRIBED)  # one-click, meanwhile
    CampaignRecipient.objects.filter(pk=waiting[1].pk).update(unsubscribed_at=timezone.now())
    suppression_module.suppress(waiting[2].email, Suppression.Reason.COMPLAINT)
    person_gone = waiting[3].person
    person_gone.do_not_contact = True
    person_gone.save()
    senders_run(campaign.pk, throttle=never_sleeping_throttle())
    received = {item.rcpt_tos[0] for item in smtp.messages}
    assert len(smtp.messages) == 2 and not received & {row.email for row in waiting}
    reasons = dict(rows(campaign, status=Row.LEFT_OUT).values_list("pk", "left_out_reason"))
    assert reasons == {
        waiting[0].pk: "unsubscribed",
        waiting[1].pk: "unsubscribed",
        waiting[2].pk: "suppressed",
        waiting[3].pk: "do_not_contact",
    }
    assert Campaign.objects.get(pk=campaign.pk).status == Status.SENT


def test_a_scheduled_campaign_starts_when_due(smtp, django_capture_on_commit_callbacks):
    campaign = campaign_to([person() for _ in range(3)])
    with freeze_time("2030-03-01 08:00:00") as clock:
        campaign_send(campaign, at=timezone.now() + timedelta(hours=2))
        assert Campaign.objects.get(pk=campaign.pk).status == Status.SCHEDULED
        with django_capture_on_commit_callbacks(execute=True):
            assert campaigns_sending_sweep()["started"] == 0
        assert smtp.messages == [] and not rows(campaign).exists()
        clock.move_to("2030-03-01 10:00:30")
        with django_capture_on_commit_callbacks(execute=True):
            assert campaigns_sending_sweep()["started"] == 1
    assert len(smtp.messages) == 3
    assert Campaign.objects.get(pk=campaign.pk).status == Status.SENT


def test_cancelling_a_scheduled_campaign_makes_it_a_draft_again(smtp):
    campaign = campaign_to([person()])
    campaign_send(campaign, at=timezone.now() + timedelta(days=1))
    assert campaign_cancel(campaign) == "unscheduled"
    campaign.refresh_from_db()
    assert (campaign.status, campaign.send_at) == (Status.DRAFT, None)


def test_ab_subject_lines_go_to_the_sample_then_the_winner_to_the_rest(smtp, django_capture_on_commit_callbacks):
    people = [person() for _ in range(40)]
    campaign = campaign_to(people, subject="Subject A", ab_sample_percent=50, ab_wait_hours=4)
    SubjectVariant.objects.create(campaign=campaign, subject="Subject B", sort_order=0)
    with freeze_time("2030-03-01 08:00:00") as clock:
        with django_capture_on_commit_callbacks(execute=True):
            campaign_send(campaign)
        assert Campaign.objects.get(pk=campaign.pk).status == Status.TESTING
        sample = rows(campaign, in_test=True)
        assert len(smtp.messages) == sample.count() == 20
        assert sorted(item.subject for item in smtp.messages) == ["Subject A"] * 10 + ["Subject B"] * 10
        # Variant B gets more human clicks.
        clicked = list(sample.filter(variant=1).values_list("pk", flat=True)[:6]) + list(
            sample.filter(variant=0).values_list("pk", flat=True)[:1]
        )
        CampaignRecipient.objects.filter(pk__in=clicked).update(clicked_at=timezone.now())
        clock.move_to("2030-03-01 11:00:00")  # before the wait is over
        with django_capture_on_commit_callbacks(execute=True):
            assert campaigns_sending_sweep()["winners"] == 0
        assert len(smtp.messages) == 20
        clock.move_to("2030-03-01 12:01:00")
        with django_capture_on_commit_callbacks(execute=True):
            assert campaigns_sending_sweep()["winners"] == 1
    campaign.refresh_from_db()
    assert campaign.status == Status.SENT and campaign.ab_winner.subject == "Subject B" and campaign.ab_decided_at
    rest = smtp.messages[20:]
    assert len(rest) == 20 and {item.subject for item in rest} == {"Subject B"}
    assert len({item.rcpt_tos[0] for item in smtp.messages}) == 40
    result = ab_test_result(campaign)
    assert [(v.variant, v.sent, v.clicks) for v in result.variants] == [(0, 10, 1), (1, 10, 6)]
    assert result.best == 1 and result.verdict == "not enough data"  # 10 a variant is too few to tell


def test_the_ab_verdict_is_a_two_proportion_z_test():
    assert two_proportion_p(30, 100, 10, 100) == pytest.approx(0.000407, abs=0.00001)  # z = 3.54
    assert two_proportion_p(12, 100, 10, 100) == pytest.approx(0.651, abs=0.01)
    assert two_proportion_p(0, 50, 0, 50) == 1.0


# --- The admin ----------------------------------------------------------------------------------------


@pytest.fixture
def editor(django_user_model):
    """A plain editor: may change campaigns, may not send them."""
    user = django_user_model.objects.create_user("plain-editor", "plain@example.com", "pw-plain-123")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_campaign"),
        Permission.objects.get(codename="view_campaign"),
    )
    return user


@pytest.fixture
def sender(editor):
    editor.user_permissions.add(Permission.objects.get(codename="send_campaign"))
    return editor


def test_a_plain_editor_may_not_send_pause_resume_or_cancel(smtp, client, editor):
    campaign = campaign_to([person()])
    client.force_login(editor)
    for name in ("send", "cancel"):
        assert client.get(f"/admin/campaigns/{campaign.pk}/{name}/").status_code == 403
    for name in ("send", "pause", "resume", "cancel"):
        assert client.post(f"/admin/campaigns/{campaign.pk}/{name}/", {"when": "now"}).status_code == 403
    assert client.get(f"/admin/campaigns/{campaign.pk}/progress/").status_code == 200  # may watch
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT and smtp.messages == []


def test_the_confirmation_shows_the_count_and_a_post_sends(smtp, client, sender, django_capture_on_commit_callbacks):
    campaign = campaign_to([person(), person(), person(do_not_contact=True)], name="<script>alert(1)</script>")
    client.force_login(sender)
    page = client.get(f"/admin/campaigns/{campaign.pk}/send/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-cm-send-eligible>2<" in html and "<script>alert(1)" not in html
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/admin/campaigns/{campaign.pk}/send/", {"when": "now"})
    assert answer.status_code == 302 and answer["Location"].endswith(f"/admin/campaigns/{campaign.pk}/progress/")
    assert len(smtp.messages) == 2
    progress = client.get(f"/admin/campaigns/{campaign.pk}/progress/").content.decode()
    assert "data-cm-sent>2<" in progress and "<script>alert(1)" not in progress
    assert 'hx-trigger="every 2s"' not in progress  # sent: nothing more to refresh


def test_the_progress_fragment_refreshes_while_sending(
    smtp, client, sender, held_tasks, django_capture_on_commit_callbacks
):
    campaign = prepared(campaign_to([person(), person()]), django_capture_on_commit_callbacks)
    client.force_login(sender)
    fragment = client.get(f"/admin/campaigns/{campaign.pk}/progress/fragment/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<progress" in fragment and "data-cm-total>2<" in fragment
    assert client.post(f"/admin/campaigns/{campaign.pk}/pause/").status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).status == Status.PAUSED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"when": "at", "send_at": ""}, "send_at"),
        ({"when": "at", "send_at": "next tuesday"}, "send_at"),
        ({"when": "at", "send_at": "2001-01-01T09:00"}, "send_at"),
        ({"when": "at", "send_at": "9" * 5000}, "send_at"),
        ({"when": "whenever"}, "when"),
    ],
)
def test_a_bad_time_is_a_400_naming_the_field(smtp, client, sender, data, field):
    campaign = campaign_to([person()])
    client.force_login(sender)
    answer = client.post(f"/admin/campaigns/{campaign.pk}/send/", data)
    assert answer.status_code == 400 and f"{field}:" in answer.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT


def test_sending_needs_the_csrf_token(smtp, sender):
    campaign = campaign_to([person()])
    client = Client(enforce_csrf_checks=True)
    client.force_login(sender)
    assert client.post(f"/admin/campaigns/{campaign.pk}/send/", {"when": "now"}).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT
