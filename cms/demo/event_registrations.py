"""The demo events' registrations: who registers (demo people from the lead store), what happened to
each registration (approved, rejected, cancelled, checked in, a no-show), set back to when it happened
in the story, and each event's story. The events themselves: cms.demo.event_programme (loaded by
cms.demo.events).
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, F, Value, When

from cms.demo.leads import COMPANIES
from events.models import EmailKind, Registration
from events.services import (
    event_cancel,
    registration_approve,
    registration_cancel,
    registration_check_in,
    registration_from_lead,
    registration_on_behalf,
    registration_reject,
    seats_recount,
)
from events.services.emails import emails_queue_for, outbox_kind
from leads.models import Interaction, Person
from leads.services import lead_capture
from outbox.models import OutgoingEmail

# Demo registrants come from the demo's own companies in the lead store (never anyone else's people).
DEMO_COMPANIES = [name for name, *_ in COMPANIES]
REJECTION_REASONS = [
    "This meetup is for in-house revenue teams; agencies and vendors are very welcome at our webinars.",
    "We can only offer one place per company this time, and a colleague of yours already has it.",
]


class DemoRegistrations:
    """The registration half of DemoEventLoader, which provides `now`, `started` (when loading began),
    `pool` (the demo people), `users`, `attendees` and `spread` (moments between two times)."""

    # --- who registers ---
    def demo_people(self) -> list[Person]:
        return list(
            Person.objects.filter(
                company__name__in=DEMO_COMPANIES,
                is_test=False,
                is_competitor=False,
                is_personal_email=False,
                do_not_contact=False,
            )
            .exclude(first_name="")
            .exclude(last_name="")
            .select_related("company")
            .order_by("pk")[:80]
        )

    def demo_users(self) -> dict:
        User = get_user_model()
        users = {
            user.username: user
            for user in User.objects.filter(username__in=[self.staff_username, "sara.keller", "tom.hughes"])
        }
        return {
            "staff": users.get(self.staff_username),
            "sara": users.get("sara.keller"),
            "tom": users.get("tom.hughes"),
        }

    def pick(self, offset: int, n: int) -> list[Person]:
        """n different demo people, starting at offset (events share some people: regulars)."""
        if not self.pool:
            return []
        n = min(n, len(self.pool))
        return [self.pool[(offset + number) % len(self.pool)] for number in range(n)]

    # --- what happened to registrations, set back to when it happened ---
    def settle(self, when, registrations):
        """Move what the services just stamped with "now" to the moment it happened in the story."""
        regs = Registration.objects.filter(pk__in=[registration.pk for registration in registrations])
        regs.update(
            **{
                name: Case(When(**{f"{name}__gte": self.started}, then=Value(when)), default=F(name))
                for name in ("registered_at", "queued_at", "decided_at", "cancelled_at", "checked_in_at")
            }
        )
        OutgoingEmail.objects.filter(registration__in=regs, created_at__gte=self.started).update(created_at=when)

    def register(self, event, person, when, *, invited_by=None) -> Registration:
        """A visitor fills in the registration form on the landing page (lead capture, then the registration)."""
        fields = {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "company": person.company.name if person.company else "",
            "job_title": person.job_title,
            "country": person.country,
        }
        lead = lead_capture(
            source="form",
            payload=fields,
            fields=fields,
            origin_type="event",
            origin_id=str(event.pk),
            origin_label=event.title,
            origin_topics=[tag.slug for tag in event.topics.all()],
            interaction_type=Interaction.Type.EVENT_REGISTERED,
            received_at=when,
        )
        registration = registration_from_lead(event, lead, invited_by=invited_by, backfill=True).registration
        self.settle(when, [registration])
        registration.refresh_from_db()
        return registration

    def register_all(self, event, people, first, last, **kwargs) -> list[Registration]:
        return [
            self.register(event, person, when, **kwargs)
            for person, when in zip(people, self.spread(first, last, len(people)), strict=True)
        ]

    def on_behalf(self, event, person, user) -> Registration:
        """A salesperson registers a contact from the admin (today: the capture is stamped now)."""
        fields = {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "company": person.company.name if person.company else "",
            "job_title": person.job_title,
        }
        return registration_on_behalf(event, fields=fields, user=user).registration

    def approve(self, registration, when):
        registration_approve(registration, user=self.users["staff"])
        self.settle(when, [registration])

    def reject(self, registration, when, reason):
        registration_reject(registration, user=self.users["staff"], reason=reason)
        self.settle(when, [registration])

    def cancel(self, registration, when):
        registration_cancel(registration)
        # A freed seat went to the waitlist: the promotion happened at the same moment.
        self.settle(when, Registration.objects.filter(event_id=registration.event_id))

    def check_in(self, registration, when):
        checked = registration_check_in(registration, user=self.users["staff"]).registration
        Interaction.objects.filter(
            type=Interaction.Type.EVENT_ATTENDED,
            object_type="event",
            object_id=str(checked.event_id),
            occurred_at=checked.checked_in_at,
        ).update(occurred_at=when)
        self.settle(when, [checked])
        person = Person.objects.filter(email_key=checked.email_key).values_list("pk", flat=True).first()
        if person:
            self.attendees.add(person)

    def after_the_event(self, event):
        """What the scheduler does once an event has ended: no-shows, then thank-you and missed-you emails
        (under its own keys, so it never sends them again)."""
        Registration.objects.filter(
            event=event, status=Registration.Status.APPROVED, checked_in_at__isnull=True
        ).update(status=Registration.Status.NO_SHOW)
        seats_recount(event)  # no-shows hold no seat: the counter counts approved and attended only
        registrations = Registration.objects.filter(event=event)
        emails_queue_for(registrations.filter(status=Registration.Status.ATTENDED), EmailKind.THANK_YOU, "thank_you")
        emails_queue_for(registrations.filter(status=Registration.Status.NO_SHOW), EmailKind.MISSED_YOU, "missed_you")
        OutgoingEmail.objects.filter(registration__event=event, key__in=["thank_you", "missed_you"]).update(
            created_at=event.ends_at + timedelta(hours=2)
        )

    # --- registrations per event ---
    def webinar_registrations(self, event):
        people = self.pick(0, 17)
        registrations = self.register_all(
            event, people[:16], self.now - timedelta(days=9), self.now - timedelta(hours=3)
        )
        if len(registrations) > 4:
            self.cancel(registrations[4], self.now - timedelta(days=2))  # "can't make it after all"
        if len(people) == 17:
            self.on_behalf(event, people[16], self.users["tom"])

    def meetup_registrations(self, event):
        people = self.pick(12, 13)
        registrations = self.register_all(
            event, people[:12], self.now - timedelta(days=6), self.now - timedelta(hours=5)
        )
        # The team has worked through the first eight requests: six in, two not this time; four wait.
        for number, registration in enumerate(registrations[:8]):
            when = registration.registered_at + timedelta(hours=20)
            if number == 2:
                self.reject(registration, min(when, self.now - timedelta(hours=1)), REJECTION_REASONS[0])
            elif number == 5:
                self.reject(registration, min(when, self.now - timedelta(hours=1)), REJECTION_REASONS[1])
            else:
                self.approve(registration, min(when, self.now - timedelta(hours=1)))
        if len(people) == 13:
            self.on_behalf(event, people[12], self.users["sara"])  # sales-registered: approved straight away

    def workshop_registrations(self, event):
        # Five seats, eight people: five registered, three on the waitlist; then one cancels and the first
        # on the waitlist gets the seat (with a "a seat opened up" email). Two stay waitlisted.
        people = self.pick(24, 8)
        registrations = self.register_all(event, people, self.now - timedelta(days=12), self.now - timedelta(days=3))
        if len(registrations) == 8:
            self.cancel(registrations[1], self.now - timedelta(days=1))

    def conference_registrations(self, event):
        people = self.pick(30, 28)
        first, last = self.now - timedelta(days=20), self.now - timedelta(hours=2)
        registrations = self.register_all(event, people[:22], first, last)
        # A few came through Sara's personal invite link.
        self.register_all(event, people[22:26], first + timedelta(days=3), last, invited_by=self.users["sara"])
        if len(registrations) > 7:
            self.cancel(registrations[7], self.now - timedelta(days=4))
        for person in people[26:]:
            self.on_behalf(event, person, self.users["sara"])

    def roundtable_registrations(self, event):
        people = self.pick(50, 6)
        self.register_all(event, people, self.now - timedelta(days=14), self.now - timedelta(days=4))
        # Cancelled after people had registered: every one of them is told, and their places are released.
        event_cancel(event)
        when = self.now - timedelta(days=3)
        OutgoingEmail.objects.filter(registration__event=event, kind=outbox_kind(EmailKind.EVENT_CANCELLED)).update(
            created_at=when
        )
        Registration.objects.filter(
            event=event, status=Registration.Status.CANCELLED, cancelled_at__isnull=True
        ).update(cancelled_at=when)

    def past_webinar_registrations(self, event):
        people = self.pick(4, 14)
        registrations = self.register_all(
            event, people, event.starts_at - timedelta(days=18), event.starts_at - timedelta(hours=2)
        )
        for number, registration in enumerate(registrations):
            if number % 3 != 2:  # two in three joined the stream
                self.check_in(registration, event.starts_at + timedelta(minutes=number % 6 - 3))
        self.after_the_event(event)

    def past_meetup_registrations(self, event):
        people = self.pick(40, 13)
        registrations = self.register_all(
            event, people[:12], event.starts_at - timedelta(days=24), event.starts_at - timedelta(days=1)
        )
        if len(registrations) > 3:
            self.cancel(registrations[3], event.starts_at - timedelta(days=2))
        for number, registration in enumerate(registrations):
            if number != 3 and number not in (6, 10):  # two didn't come
                self.check_in(registration, event.starts_at + timedelta(minutes=5 + 2 * number))
        if len(people) == 13:  # a walk-in, let in at the door
            walk_in = people[12]
            when = event.starts_at + timedelta(minutes=40)
            fields = {
                "email": walk_in.email,
                "first_name": walk_in.first_name,
                "last_name": walk_in.last_name,
                "company": walk_in.company.name if walk_in.company else "",
                "job_title": walk_in.job_title,
            }
            lead = lead_capture(
                source="manual",
                payload=fields,
                fields=fields,
                origin_type="event",
                origin_id=str(event.pk),
                origin_label=event.title,
                interaction_type=Interaction.Type.EVENT_REGISTERED,
                received_at=when,
            )
            registration = registration_from_lead(
                event, lead, source=Registration.Source.WALK_IN, registered_by=self.users["staff"], backfill=True
            ).registration
            self.check_in(registration, when)
        self.after_the_event(event)
