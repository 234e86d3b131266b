"""The roles as Wagtail groups, created (and topped up) after every `migrate`.

| role | sees | personal data | exports | sales actions |
| --- | --- | --- | --- | --- |
| Editor | pages, images, documents, snippets; content performance; no lead store | - | - | - |
| Marketer | content, forms, segments, events, scoring, tags, campaigns, reports; everybody | yes | yes | - |
| Sales rep | their own people, reports over them; "Register someone" | masked | their own | yes, their own |
| Sales manager | their team's people, reports over them; "Register someone" | yes | their team's | their team's |
| Door staff | the published events and their check-in screens; nothing else | masked | - | - |
| Telemarketer | the telemarketing queue and its call screens; nothing else | yes | - | calls: MQL, disqualify |
| Administrator | everything, the audit log, sales reps, users and groups | yes | yes | yes |

Each role holds what its screens need and nothing more. The lead store's own operations screens
(the interaction log, sales reps, CRM deliveries) list everybody unscoped, so sales roles do not get
them: a rep reads a person's interactions on the person's profile, in scope. A manager does not edit
sales reps either: the team on a SalesRep decides whose people a manager sees, so changing it would
widen their own view.

Door staff check people in at the door (search, ticket scan, walk-ins) and see addresses masked: the
door needs a face and a name, not everyone's contact details. Sales roles register customers for events
("Register someone", events.add_registration) without editing events or seeing their registrations
list: which events they see is events.permissions' rule (every event but drafts).

Telemarketers work the telemarketing queue (sales.telemarketing): leads nobody owns yet, checked by
phone before sales spends time on them. They see phone numbers in full (they dial them) but no list,
profile or export of the sales workspace: without `leads.view_person` those screens refuse them, and
the call screen answers 404 for anybody outside the queue.

Roles are topped up, never trimmed: a permission an administrator added to a group stays (and one
taken out of a role here stays on groups that already had it: remove it by hand). Widen one rep's
view by giving them "Can see the people owned by their sales team" or "... everybody" (on the user
or a group of their own); grant "Can see people's email addresses and phone numbers" to reps who call
people from here rather than from the CRM.
"""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

EDITOR, MARKETER, SALES_REP, SALES_MANAGER, DOOR_STAFF, ADMINISTRATOR = (
    "Editor",
    "Marketer",
    "Sales rep",
    "Sales manager",
    "Door staff",
    "Administrator",
)
TELEMARKETER = "Telemarketer"

ADMIN_ACCESS = ["wagtailadmin.access_admin"]
CONTENT = [
    f"{app}.{action}_{model}"
    for app, model in (("wagtailimages", "image"), ("wagtaildocs", "document"))
    for action in ("add", "change", "choose")
] + [
    f"cms.{action}_{snippet}"
    for snippet in ("industry", "topic", "product", "author", "calltoaction")
    for action in ("add", "change", "view")
]
# The sales workspace's lists and profiles (scoped by sales.access), saved filters, exports.
LEAD_STORE_READ = ["leads.view_person", "leads.view_company", "leads.view_lead"]
SALES_READ = [
    *LEAD_STORE_READ,
    "leads.export_people",
    "sales.add_savedfilter",
    "sales.change_savedfilter",
    "sales.delete_savedfilter",
    "sales.view_savedfilter",
]
# Accept, reject, reassign, mark: sales' own moves (marketers read the funnel, they don't work it).
SALES_WORK = [*SALES_READ, "leads.work_leads"]
# Reports (reports.access): every report, scoped like the sales lists (a rep's over their own people).
REPORTS = ["reports.view_reports", "reports.view_content_reports"]
# Editors read how their content performs, nothing about people.
CONTENT_REPORTS = ["reports.view_content_reports"]
# "Register someone" on an event, for a customer (it brings the events listing, published events only).
REGISTER_SOMEONE = ["events.add_registration"]
# The door: check-in by search, ticket scan and walk-ins (it brings the events listing too).
CHECK_IN = ["events.check_in_registration"]
# The telemarketing queue (sales.telemarketing): call, record the outcome, MQL by hand or disqualify.
QUALIFY_BY_PHONE = ["leads.qualify_by_phone"]
MARKETING = [
    "leads.view_scoringrule",
    "leads.add_scoringrule",
    "leads.change_scoringrule",
    "leads.delete_scoringrule",
    "leads.view_interaction",
    "leads.view_salesrep",
    "leads.change_leadstoresettings",
    "leads.view_personal_data",
    "leads.view_all_people",
    # Tags: on people (one at a time, in bulk from any list) and the Tags screen (rename, delete).
    "leads.tag_people",
    "leads.view_tag",
    "leads.add_tag",
    "leads.change_tag",
    "leads.delete_tag",
    "leadforms.import_leads",
    "leadforms.view_consentpolicy",
    "leadforms.change_consentpolicy",
    "leadforms.view_consentrecord",
    "leadforms.view_rejectedsubmission",
    "personalization.add_segment",
    "personalization.change_segment",
    "personalization.delete_segment",
    "personalization.view_segment",
    "events.add_event",
    "events.change_event",
    "events.delete_event",
    "events.view_event",
    "events.view_registration",
    "events.change_registration",
    *CHECK_IN,
    "events.add_speaker",
    "events.change_speaker",
    "events.view_speaker",
    "events.view_eventemailtemplate",
    "events.change_eventemailtemplate",
    # The Outbox: every email the product sends, and "Send again" for failed ones (addresses masked
    # without leads.view_personal_data, which this role has).
    "outbox.view_outgoingemail",
    "outbox.send_again_outgoingemail",
    # Campaign email (docs/email.md): write, send, read the results; the kinds of email people choose
    # from; the suppression list (add, import, allow again); the sending speed and fatigue limit.
    *(f"campaigns.{action}_campaign" for action in ("add", "change", "delete", "view")),
    "campaigns.send_campaign",
    *(f"campaigns.{action}_emailtopic" for action in ("add", "change", "delete", "view")),
    *(f"campaigns.{action}_suppression" for action in ("add", "change", "delete", "view")),
    "campaigns.change_campaignsettings",
    *REPORTS,
]

ROLES: dict[str, dict] = {
    EDITOR: {"permissions": [*ADMIN_ACCESS, *CONTENT, *CONTENT_REPORTS], "pages": ["add", "change", "publish"]},
    MARKETER: {
        "permissions": [*ADMIN_ACCESS, *CONTENT, *SALES_READ, *MARKETING],
        "pages": ["add", "change", "publish"],
    },
    SALES_REP: {"permissions": [*ADMIN_ACCESS, *SALES_WORK, *REGISTER_SOMEONE, *REPORTS], "pages": []},
    SALES_MANAGER: {
        "permissions": [
            *ADMIN_ACCESS,
            *SALES_WORK,
            *REGISTER_SOMEONE,
            *REPORTS,
            "leads.view_personal_data",
            "leads.view_team_people",
        ],
        "pages": [],
    },
    DOOR_STAFF: {"permissions": [*ADMIN_ACCESS, *CHECK_IN], "pages": []},
    # Phones in full (they call), tags (they label what they learn); no lists, profiles or exports.
    TELEMARKETER: {
        "permissions": [*ADMIN_ACCESS, *QUALIFY_BY_PHONE, "leads.view_personal_data", "leads.tag_people"],
        "pages": [],
    },
    ADMINISTRATOR: {
        "permissions": [
            *ADMIN_ACCESS,
            *CONTENT,
            *SALES_WORK,
            *MARKETING,
            *QUALIFY_BY_PHONE,
            "sales.view_audit_log",
            "sales.view_exportjob",
            "leads.change_person",
            "leads.change_company",
            "leads.add_salesrep",
            "leads.change_salesrep",
            "leads.delete_salesrep",
            "leads.view_crmdelivery",
            "leads.change_crmdelivery",
            "auth.add_user",
            "auth.change_user",
            "auth.delete_user",
            "auth.add_group",
            "auth.change_group",
            "auth.delete_group",
        ],
        "pages": ["add", "change", "publish", "bulk_delete", "lock", "unlock"],
    },
}


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = [
        p
        for p in Permission.objects.filter(codename__in={c for _, c in wanted}).select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    return found


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create the role groups if missing and give each its permissions (adding, never removing)."""
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    groups = {}
    root_page = Page.get_first_root_node()
    root_collection = Collection.get_first_root_node()
    for name, role in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(role["permissions"]))
        if root_page is not None:
            for codename in role["pages"]:
                permission = Permission.objects.filter(
                    content_type__app_label="wagtailcore", codename=f"{codename}_page"
                ).first()
                if permission:
                    GroupPagePermission.objects.get_or_create(group=group, page=root_page, permission=permission)
        if root_collection is not None:
            for permission in group.permissions.filter(content_type__app_label__in=["wagtailimages", "wagtaildocs"]):
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=permission
                )
        groups[name] = group
    return groups


def roles_ensure_after_migrate(sender, app_config=None, using="default", verbosity=1, **kwargs):
    """post_migrate for this app: apps later in INSTALLED_APPS have not made their permissions yet,
    so make them all first (idempotent), then the groups."""
    from django.apps import apps

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    roles_ensure()
