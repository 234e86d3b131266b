""" "Register someone": a salesperson registers a customer for an event, and finds their personal invite
link. For the sales roles (events.add_registration), on the events they see (published ones: see
events.permissions); the listing offers it while registration is open."""

from urllib.parse import urlencode

from .. import links, services
from ..forms import RegisterSomeoneForm, existing_landing_page
from ..models import Event
from ..permissions import REGISTER_SOMEONE_PERMISSION
from .common import EventAdminView, event_when, shown_name


def register_someone_offered(event: Event) -> bool:
    """Whether the listing offers "Register someone": while the event takes registrations."""
    return not event.registration_closed_reason()


def invite_link(event: Event, request) -> str:
    """The user's personal invite link: registrations through it record them as the inviter."""
    page = existing_landing_page(event)
    if page is None or not page.live:
        return ""
    url = page.get_full_url(request)
    return f"{url}?{urlencode({'invite': links.invite_token(request.user)})}" if url else ""


class RegisterSomeoneView(EventAdminView):
    """Sales registers a customer (source "Registered by sales"; approval is already given)."""

    permission = REGISTER_SOMEONE_PERMISSION
    page_title = "Register someone"
    template_name = "events/admin/register_someone.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RegisterSomeoneForm())
        context.update(
            event=self.event,
            event_when=event_when(self.event),
            invite_link=invite_link(self.event, self.request),
            closed_reason=self.event.registration_closed_reason(),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = RegisterSomeoneForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            outcome = services.registration_on_behalf(self.event, fields=form.fields_for_service(), user=request.user)
        except ValueError as error:
            form.service_error(error)
        except services.RegistrationClosed as closed:
            form.add_error(None, closed.message)
        else:
            registration = outcome.registration
            result = {
                "registration": registration,
                "created": outcome.created,
                # Only for a registration made here: an existing one's ticket (with its
                # cancellation link) is its owner's, not for whoever types their address.
                "ticket_url": links.ticket_url(registration) if outcome.created else "",
                "name": shown_name(registration, request.user),
            }
            # A fresh form: the next customer is usually right behind.
            return self.render_to_response(self.get_context_data(result=result))
        return self.render_to_response(self.get_context_data(form=form), status=400)
