"""Background work of campaign email (django-tasks, "background" queue). Every body is safe to run
again after its worker died: preparing is idempotent, sending claims its recipients (campaigns.sending)."""

from django_tasks import task


@task(backend="background")
def campaign_prepare_task(campaign_id: int):
    """Record the recipients and links of a campaign that was just sent (or came due), then send."""
    from campaigns.sending import campaign_prepare

    return campaign_prepare(campaign_id)


@task(backend="background")
def campaign_send_task(campaign_id: int):
    """Send chunks of a campaign for a while, then hand on to a fresh task; finish it when done."""
    from campaigns.sending import senders_run

    return senders_run(campaign_id)
