"""The telemarketing screens: the call queue and the call screen of one person (Sales → Call queue).

Thin: the queue's rule and order, and recording a call, are sales.telemarketing's (and the lead
store's, leads.services.calls). Both screens need `leads.qualify_by_phone`; the call screen answers
404 for anybody not in the queue, whatever id is typed. Opening a call screen (a person's contact
details) is an audit entry, as opening a profile is.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.views.generic import FormView
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.viewsets.base import ViewSet

from core.admin_menu import PermissionMenuItem
from leads.models import Interaction, Person, Stage
from leads.privacy import can_view_personal_data, mask_phone
from leads.services.calls import MAY_DISQUALIFY, NOTE_MAX, REASON_MAX, CallError, CallOutcome
from leads.services.tags import TagError, tag_names_parse
from sales import telemarketing
from sales.access import can_tag_people
from sales.audit import record_profile_view

QUEUE_TITLE = "Call queue"
QUEUE_COUNT_CAP = 1_000
TYPE_LABELS = dict(Interaction.Type.choices)


def person_name(person: Person) -> str:
    """The name, else the PID: a telemarketer has no use for the email, and it is not theirs to see."""
    return f"{person.first_name} {person.last_name}".strip() or person.pid


def phone_html(phone: str, *, show: bool):
    """A tel: link to dial from the screen (only digits and + in it), or the masked number."""
    if not phone:
        return "-"
    if not show:
        return mask_phone(phone)
    dial = "".join(character for character in phone if character.isdigit() or character == "+")
    return format_html('<a href="tel:{}" data-phone>{}</a>', dial, phone)


def calls_html(calls) -> str:
    if not calls:
        return "-"
    return format_html_join(
        ", ",
        '<span data-call="{}">{} ({})</span>',
        ((call.outcome, call.outcome_label, f"{call.at:%Y-%m-%d %H:%M}") for call in calls),
    )


class QueuePaginator(WagtailPaginator):
    """Page numbers over the first QUEUE_COUNT_CAP people of the queue. Counting a queue of tens of
    thousands reads every lead nobody owns, on every page; a telemarketer works from the top, and
    narrows by grade or country to reach further down."""

    verbose_name = "person to call"
    verbose_name_plural = "people to call"

    @cached_property
    def found(self) -> int:
        return self.object_list.order_by().values("pk")[: QUEUE_COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, QUEUE_COUNT_CAP)

    @property
    def is_capped(self) -> bool:
        return self.found > QUEUE_COUNT_CAP

    @cached_property
    def items_count_label(self) -> str:
        if self.is_capped:
            return f"{QUEUE_COUNT_CAP:,}+ people to call: the first {QUEUE_COUNT_CAP:,} are shown"
        return f"1 {self.verbose_name}" if self.count == 1 else f"{self.count:,} {self.verbose_name_plural}"


class QueueView(BaseListingView):
    """The queue, in the order to call (sales.telemarketing), 25 a page, narrowed by grade and country."""

    model = Person
    page_title = QUEUE_TITLE
    header_icon = "mobile-alt"
    template_name = "sales/telemarketing/queue.html"
    results_template_name = "sales/telemarketing/queue_results.html"
    index_url_name = "telemarketing:index"
    index_results_url_name = "telemarketing:results"
    filterset_class = telemarketing.QueueFilterSet
    paginate_by = 25
    paginator_class = QueuePaginator
    verbose_name = "person to call"
    verbose_name_plural = "people to call"

    def dispatch(self, request, *args, **kwargs):
        if not telemarketing.can_qualify_by_phone(request.user):
            raise PermissionDenied  # the admin answers with its usual redirect and message
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return telemarketing.queue_people()

    def filter_queryset(self, queryset):
        # The filters whose value cleaned apply; a bad one is shown as an error on its field.
        if self.filters is not None:
            self.filters.is_valid()
            queryset = self.filters.filter_queryset(queryset)
        return queryset

    def paginate_queryset(self, queryset, page_size):
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        rows = list(rows)
        calls = telemarketing.previous_calls(person.pk for person in rows)
        for person in rows:
            person.previous_calls = calls.get(person.pk, [])
        page.object_list = rows
        return paginator, page, rows, is_paginated

    @cached_property
    def shows_phones(self) -> bool:
        return can_view_personal_data(self.request.user)

    @cached_property
    def columns(self):
        return [
            Column(
                "name",
                label="Name",
                accessor=lambda person: format_html(
                    '<a href="{}" data-call-link>{}</a>',
                    reverse("telemarketing:call", args=[person.pk]),
                    person_name(person),
                ),
            ),
            Column("company", label="Company", accessor=lambda person: person.company.name if person.company else "-"),
            Column("phone", label="Phone", accessor=lambda person: phone_html(person.phone, show=self.shows_phones)),
            Column("grade", label="Grade", accessor="grade"),
            Column("score", label="Score", accessor=lambda person: f"{person.score:.0f}"),
            Column(
                "last_activity",
                label="Last activity",
                accessor=lambda person: f"{person.last_activity:%Y-%m-%d %H:%M}" if person.last_activity else "never",
            ),
            Column("previous_calls", label="Previous calls", accessor=lambda person: calls_html(person.previous_calls)),
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(queue_order=telemarketing.QUEUE_ORDER, **kwargs)


class QueueResultsView(QueueView):
    results_only = True


class CallForm(forms.Form):
    outcome = forms.ChoiceField(label="How did the call go?", choices=CallOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you learned: on the person's timeline for sales to read",
    )
    disqualify = forms.BooleanField(
        label="Disqualify",
        required=False,
        help_text="Only after reached, not interested or wrong number; the person leaves the funnel",
    )
    reason = forms.CharField(
        label="Reason for disqualifying",
        required=False,
        max_length=REASON_MAX,
        help_text="Required to disqualify; kept in the stage history",
    )
    tags = forms.CharField(
        label="Add tags",
        required=False,
        max_length=1000,
        help_text="Comma-separated, such as called-q4, budget-q3: a new name makes a new tag",
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, may_tag: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_tag:
            del self.fields["tags"]

    def clean_tags(self):
        try:
            return tag_names_parse(self.cleaned_data["tags"], field="tags")
        except TagError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        outcome, disqualify, reason = data.get("outcome"), data.get("disqualify"), (data.get("reason") or "").strip()
        if disqualify and outcome and outcome not in MAY_DISQUALIFY:
            self.add_error("disqualify", f"A call with the outcome “{CallOutcome(outcome).label}” cannot disqualify.")
        if disqualify and not reason and "reason" not in self.errors:
            self.add_error("reason", "Give a reason to disqualify: it goes into the stage history.")
        if reason and not disqualify:
            self.add_error("disqualify", "Tick Disqualify to disqualify with this reason, or clear the reason.")
        return data


# What a recorded outcome did, in the message after the call.
def call_message(name: str, record, outcome: str) -> str:
    label = CallOutcome(outcome).label.lower()
    if not record.created:
        return f"{name}: this call was already recorded; nothing changed."
    transition = record.transition
    if transition is not None and transition.to_stage == Stage.MQL:
        return f"{name}: qualified; now a Marketing qualified lead (MQL), handed to sales."
    if transition is not None and transition.to_stage == Stage.DISQUALIFIED:
        return f"{name}: {label}; disqualified."
    if outcome == CallOutcome.QUALIFIED:
        return f"{name}: qualified; already in sales' hands."
    hold = telemarketing.CALL_HOLDS.get(CallOutcome(outcome))
    back = f" Back in the queue in {_duration(hold)}." if hold else ""
    return f"{name}: {label} recorded.{back}"


def _duration(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


class CallView(WagtailAdminTemplateMixin, FormView):
    """One person of the queue: who they are, what they did, earlier calls; record this call."""

    form_class = CallForm
    template_name = "sales/telemarketing/call.html"
    page_title = "Call"
    header_icon = "mobile-alt"

    def dispatch(self, request, *args, pk, **kwargs):
        if not telemarketing.can_qualify_by_phone(request.user):
            raise PermissionDenied
        self.person_id = pk
        # None on a POST is left to the service: a resubmitted call (the person has left the queue
        # by it) is answered as already recorded; anything else is a 404 there.
        self.person = telemarketing.queue_person(pk)
        if self.person is None and request.method != "POST":
            raise Http404("Not in the call queue.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        record_profile_view(request.user, self.person, masked=not can_view_personal_data(request.user))
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"token": uuid.uuid4()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "may_tag": can_tag_people(self.request.user)}

    def get_page_subtitle(self):
        return person_name(self.person) if self.person else ""

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("telemarketing:index"), "label": QUEUE_TITLE},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        person = self.person
        calls = telemarketing.previous_calls([person.pk], per_person=20).get(person.pk, [])
        return super().get_context_data(
            person=person,
            name=person_name(person),
            phone=phone_html(person.phone, show=can_view_personal_data(self.request.user)),
            calls=calls,
            activity=[
                (interaction, TYPE_LABELS.get(interaction.type, interaction.type.replace("_", " ").capitalize()))
                for interaction in telemarketing.recent_activity(person)
            ],
            tags=list(person.tags.order_by("name").values_list("name", flat=True)),
            **kwargs,
        )

    def form_invalid(self, form):
        if self.person is None:
            raise Http404("Not in the call queue.")
        return super().form_invalid(form)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            record = telemarketing.queue_call_record(
                self.request.user,
                self.person_id,
                outcome=data["outcome"],
                note=data["note"],
                disqualify_reason=data["reason"] if data["disqualify"] else "",
                token=data["token"],
                tags=data.get("tags") or (),
            )
        except telemarketing.NotInQueue:
            raise Http404("Not in the call queue.") from None
        except CallError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, call_message(person_name(record.interaction.person), record, data["outcome"]))
        return redirect(reverse("telemarketing:index"))


class TelemarketingViewSet(ViewSet):
    """Sales → Call queue, shown to those who may qualify by phone (telemarketers, administrators)."""

    name = "telemarketing"
    url_prefix = "sales/call-queue"
    url_namespace = "telemarketing"
    icon = "mobile-alt"
    menu_label = QUEUE_TITLE
    menu_item_class = PermissionMenuItem.for_viewset(any_of=telemarketing.QUALIFY_PERMISSION)

    def get_urlpatterns(self):
        return [
            path("", QueueView.as_view(), name="index"),
            path("results/", QueueResultsView.as_view(), name="results"),
            path("call/<int:pk>/", CallView.as_view(), name="call"),
        ]
