"""Print a tracked link for a known person: opening it links that browser to the person, so the
site personalises for them (known-person segments) without a form fill. For emails and the demo."""

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leads.selectors import person_by_email
from personalization.services import TRACKED_LINK_PARAM, tracked_link_token


class Command(BaseCommand):
    help = "Print a signed link that identifies a person's browser when opened (valid 90 days)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The person's email address")
        parser.add_argument("--url", default="/", help="Where the link goes: a path or a full URL (default /)")

    def handle(self, *args, email, url, **options):
        person = person_by_email(email)
        if person is None:
            raise CommandError(f"--email: nobody with the address {email!r} is in the lead store.")
        if url.startswith("/"):
            url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url
        parts = urlsplit(url)
        query = "&".join(filter(None, [parts.query, urlencode({TRACKED_LINK_PARAM: tracked_link_token(person.pk)})]))
        self.stdout.write(urlunsplit(parts._replace(query=query)))
