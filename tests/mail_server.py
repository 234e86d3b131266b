"""A real SMTP server on loopback for tests: messages are counted and read as a mail server sees them.

The `mail_server` fixture starts aiosmtpd on 127.0.0.1 (a free port) in a thread and points Django's
SMTP backend at it. Tests read `mail_server.messages` (parsed, as received), make it refuse
(`refuse("451 4.3.0 Try again later")`, `refuse_recipient(address, "550 5.1.1 No such user")`) or
stop and start it (a mail server that is down: connection refused).
"""

import logging
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str | None:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else None

    def parts(self) -> list[str]:
        return [part.get_content_type() for part in self.message.walk()]


class MailServer:
    """The aiosmtpd handler and its controller; what it received, in order."""

    def __init__(self):
        self.received: list[Received] = []
        self.refusals = 0  # messages refused at DATA
        self._refusal = ""
        self._refused_recipients: dict[str, str] = {}
        self._lock = threading.Lock()
        self.port = _free_port()
        self._controller = None

    # --- the SMTP conversation (aiosmtpd calls these in its thread) ---
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._refused_recipients.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._refusal:
                self.refusals += 1
                return self._refusal
            message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    # --- what tests do ---
    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [item for item in self.messages if address in item.rcpt_tos]

    def refuse(self, reply: str = "451 4.3.0 Mail server busy, try again later"):
        self._refusal = reply

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 No such user here"):
        self._refused_recipients[address.lower()] = reply

    def accept(self):
        self._refusal = ""
        self._refused_recipients.clear()

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_server(settings):
    """A running SMTP server on loopback, with Django's SMTP backend pointed at it."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    server = MailServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()
