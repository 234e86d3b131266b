"""Sending campaign email (issue 17, items 3 and 8): now or at a time, throttled, once per recipient,
on the background workers; pause, resume, cancel and progress; A/B subject lines.

- control.py: the campaign's states (send, prepare, pause, resume, cancel, finish) and the send tasks' body
- claim.py: recipients claimed with one conditional UPDATE; rows a dead worker held
- deliver.py: one chunk: re-check, one connection, send and record each message, classify refusals
- message.py: the envelope bulk mail needs (From, List-Unsubscribe, List-Id, Message-ID, Anymail metadata)
- throttle.py: emails per minute, shared by every worker through the cache
- ab_test.py: the A/B result (z-test) and the winner going to the rest
- sweep.py: the workers' sweep (WORKER_SWEEPS)
- progress.py: what the progress bar shows
"""

from campaigns.sending.ab_test import ab_test_result, ab_winner_send
from campaigns.sending.control import (
    campaign_cancel,
    campaign_check_sendable,
    campaign_finish_if_done,
    campaign_pause,
    campaign_prepare,
    campaign_resume,
    campaign_send,
    senders_run,
)
from campaigns.sending.deliver import chunk_send
from campaigns.sending.progress import campaign_progress
from campaigns.sending.sweep import campaigns_sending_sweep

__all__ = [
    "ab_test_result",
    "ab_winner_send",
    "campaign_cancel",
    "campaign_check_sendable",
    "campaign_finish_if_done",
    "campaign_pause",
    "campaign_prepare",
    "campaign_progress",
    "campaign_resume",
    "campaign_send",
    "campaigns_sending_sweep",
    "chunk_send",
    "senders_run",
]
