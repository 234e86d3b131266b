"""The person 360 view and the company view (the viewsets' inspect views).

Person 360 (`leads_person:inspect`): who they are, their score and why, how they moved through the
funnel and who moved them, every lead, what the lead store knows about their consent, and a
timeline of what they did (newest first, keyset-paged; `leads_person:timeline` serves the next
page as an htmx fragment, the same links work without JavaScript). Somebody outside the user's
scope is a 404; email and phone are masked without the personal-data right; every page view is
one audit entry. Company view (`leads_company:inspect`): the company through the people the user
may see. The reads live in sales.profile_selectors; these views only parse, check and render.
"""

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.views.generic import TemplateView
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton

from leads.admin_privacy import PersonalDataInspectView
from leads.models import Company, Lead, Person
from leads.privacy import hide, mask_email, mask_identifier, mask_ip, mask_phone
from leads.services.scoring import score_explanation
from sales import profile_selectors as selectors
from sales.access import can_work_leads, visible_companies, visible_leads, visible_people
from sales.audit import record_profile_view
from sales.profile_tags import person_tags_urls, tags_context


def user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def person_label(person, *, show_personal_data: bool) -> str:
    """How a person is named on screen: their name, else their (masked) email."""
    name = f"{person.first_name} {person.last_name}".strip()
    if name:
        return name
    return person.email if show_personal_data else mask_email(person.email) or f"PID-{person.pk}"


def score_explanation_html(person) -> str:
    """The score line by line (it adds up to the score), as the person's inspect fields show it."""
    lines = score_explanation(person)
    if not lines:
        return "No points yet"
    items = format_html_join(
        "",
        "<li>{}: {} <strong>{}</strong>{}</li>",
        (
            (
                line.kind.capitalize(),
                line.label,
                f"{line.points:+.1f}",
                f" (from {line.base_points:+d}, {line.age_days:.0f} days old)" if line.interaction_id else "",
            )
            for line in lines
        ),
    )
    return format_html("<ul>{}</ul><p>As of {}</p>", items, f"{person.scored_at:%Y-%m-%d %H:%M}")


def stage_history_html(person) -> str:
    """Every stage move with its time and reason, oldest first."""
    transitions = person.stage_transitions.order_by("occurred_at", "pk")
    if not transitions:
        return "No stage changes yet"
    return format_html(
        "<ol>{}</ol>",
        format_html_join(
            "",
            "<li>{}: {} &rarr; {} ({}{})</li>",
            (
                (
                    f"{t.occurred_at:%Y-%m-%d %H:%M}",
                    t.get_from_stage_display() or "-",
                    t.get_to_stage_display(),
                    t.get_reason_type_display(),
                    f": {t.reason}" if t.reason else "",
                )
                for t in transitions
            ),
        ),
    )


def _person_or_404(user, pk, queryset=None):
    """A person in the user's scope, or a 404 exactly like an unknown id."""
    return get_object_or_404(visible_people(user, queryset if queryset is not None else Person.objects.all()), pk=pk)


class PermissionBeforeScopeMixin:
    """Wagtail's InspectView looks the object up in setup(), before its permission check: somebody with
    no right to the model at all would get a 404 instead of the admin's refusal. Look it up in get()."""

    def setup(self, request, *args, **kwargs):
        super(InspectView, self).setup(request, *args, **kwargs)
        self.pk = self.kwargs[self.pk_url_kwarg]
        self.fields = self.get_fields()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)


class TimelineMixin:
    """The timeline's page from the query string (`before` / `after` cursors; anything else: newest)."""

    def get_timeline(self, person):
        return selectors.person_timeline(
            person, before=self.request.GET.get("before"), after=self.request.GET.get("after")
        )

    def timeline_context(self, person, timeline):
        return {
            "timeline": timeline,
            "profile_url": reverse("leads_person:inspect", args=[person.pk]),
            "timeline_url": reverse("leads_person:timeline", args=[person.pk]),
        }


class PersonProfileView(PermissionBeforeScopeMixin, TimelineMixin, PersonalDataInspectView):
    masked_fields = {"email": mask_email, "phone": mask_phone}
    page_title = "Person"
    profile_template_name = "sales/profile/person.html"
    # Inspect fields rendered here rather than by the model (models hold data): name -> (label, renderer).
    rendered_fields = {
        "score_explanation_html": ("Score explanation", score_explanation_html),
        "stage_history_html": ("Stage history", stage_history_html),
    }

    def get_field_label(self, field_name, field):
        if field_name in self.rendered_fields:
            return self.rendered_fields[field_name][0]
        return super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field):
        if field_name in self.rendered_fields:
            return self.rendered_fields[field_name][1](self.object)
        return super().get_field_display_value(field_name, field)

    def get_object(self, queryset=None):
        return _person_or_404(self.request.user, self.pk, Person.objects.select_related("company", "owner"))

    def get_template_names(self):
        # The viewset hands every inspect view Wagtail's generic template; this page is its own.
        return [self.profile_template_name]

    def get_page_subtitle(self):
        # Title, breadcrumbs and <title> carry the name, never an email the user may not see.
        return person_label(self.object, show_personal_data=self.shows_personal_data)

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if can_work_leads(self.request.user):
            buttons.insert(
                0,
                HeaderButton(
                    "Sales feedback",
                    url=reverse("leads_person:sales_feedback", args=[self.object.pk]),
                    icon_name="success",
                    priority=5,
                ),
            )
        return buttons

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        record_profile_view(request.user, self.object, masked=not self.shows_personal_data)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = self.object
        leads, more_leads = selectors.person_leads(person)
        transitions, more_transitions = selectors.person_transitions(person)
        context.update(
            person=person,
            person_name=person_label(person, show_personal_data=self.shows_personal_data),
            shows_personal_data=self.shows_personal_data,
            email=self.mask("email", person.email),
            phone=self.mask("phone", person.phone),
            owner_name=user_label(person.owner),
            stored_score=person.fit_score + person.interest_score,
            stage_since=person.stage_changed_at or person.created_at,
            flags=[
                label
                for flag, label in (
                    ("is_test", "Test data"),
                    ("is_competitor", "Competitor"),
                    ("is_personal_email", "Personal email"),
                )
                if getattr(person, flag)
            ],
            company_url=(reverse("leads_company:inspect", args=[person.company_id]) if person.company_id else ""),
            score=selectors.person_score(person),
            transitions=[(transition, user_label(transition.actor)) for transition in transitions],
            more_transitions=more_transitions,
            leads=leads,
            more_leads=more_leads,
            consent_history=selectors.person_consent_history(person, leads),
            leads_shown=selectors.LEADS_SHOWN,
            **tags_context(self.request, person),
            **self.timeline_context(person, self.get_timeline(person)),
        )
        return context


class PersonTimelineView(TimelineMixin, PermissionCheckedMixin, TemplateView):
    """One more page of the timeline, as an htmx fragment. Not an audit entry of its own: the
    profile page it extends was one (and it shows no personal data)."""

    model = Person
    any_permission_required = PersonProfileView.any_permission_required
    template_name = "sales/profile/_timeline_items.html"

    def get_context_data(self, **kwargs):
        person = _person_or_404(self.request.user, self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **self.timeline_context(person, self.get_timeline(person))}


class CompanyProfileView(PermissionBeforeScopeMixin, PersonalDataInspectView):
    page_title = "Company"
    profile_template_name = "sales/profile/company.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            visible_companies(self.request.user, Company.objects.select_related("owner", "parent")), pk=self.pk
        )

    def get_template_names(self):
        return [self.profile_template_name]

    def get_page_subtitle(self):
        return self.object.name

    @cached_property
    def summary(self):
        return selectors.company_summary(self.object, self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        company, summary = self.object, self.summary
        show = self.shows_personal_data
        context.update(
            company=company,
            summary=summary,
            owner_name=user_label(company.owner),
            people=[
                (
                    person,
                    person_label(person, show_personal_data=show),
                    user_label(person.owner),
                    person.fit_score + person.interest_score,
                )
                for person in summary.people
            ],
            activity=[
                (entry, person_label(entry.interaction.person, show_personal_data=show)) for entry in summary.activity
            ],
            people_shown=selectors.COMPANY_PEOPLE_SHOWN,
        )
        return context


def without_query(url) -> str:
    """https://example.com/landing?email=x -> https://example.com/landing"""
    return str(url or "").split("?", 1)[0].split("#", 1)[0]


class LeadInspectView(PermissionBeforeScopeMixin, PersonalDataInspectView):
    """One capture, for people who may see its person: somebody else's lead is a 404, and what
    identifies the person (their email, the raw submission, the visitor id) is masked without the
    personal-data right."""

    masked_fields = {
        "person": lambda person: person_label(person, show_personal_data=False) if person else "",
        "raw_payload": hide,
        "visitor_id": mask_identifier,
        "ip_address": mask_ip,
        # Cleaning quotes the rejected input in its reasons ("email 'x@y' is not valid"),
        # an error message may too, and a URL's query string can carry ?email=.
        "flag_reasons": hide,
        "processing_error": hide,
        "landing_page": without_query,
        "referrer": without_query,
    }

    def get_object(self, queryset=None):
        return get_object_or_404(visible_leads(self.request.user, Lead.objects.select_related("person")), pk=self.pk)

    def get_field_display_value(self, field_name, field):
        if field_name == "person" and not self.shows_personal_data:
            return self.mask("person", self.object.person)
        if field_name == "flag_reasons" and not self.shows_personal_data:
            return self.object.flag_summary()  # the codes, without the quoted input
        return super().get_field_display_value(field_name, field)

    def get_page_subtitle(self):
        return self.object.lid


def person_urls(viewset):
    """The person viewset's extra URLs for the profile: the timeline fragment, the tags' forms."""
    return [
        path("timeline/<int:pk>/", viewset.construct_view(PersonTimelineView), name="timeline"),
        *person_tags_urls(viewset),
    ]
