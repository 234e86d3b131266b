"""Who sees whom in the sales workspace, and what they may do with it.

A sales rep sees the people they own. `leads.view_team_people` widens that to the people owned by
anyone in their sales team (SalesRep.team), `leads.view_all_people` to everybody; superusers see
everybody. Companies and leads follow their people: a company is visible when one of its people is,
or when the user owns it; a lead when its person is. Every list, profile, action and export goes
through these functions, so a direct URL to somebody else's person is a 404 like any unknown id.
"""

from dataclasses import dataclass

from django.db.models import Q

from leads.models import Company, Lead, Person, SalesRep

EXPORT_PERMISSION = "leads.export_people"
WORK_PERMISSION = "leads.work_leads"
TEAM_PERMISSION = "leads.view_team_people"
ALL_PERMISSION = "leads.view_all_people"
AUDIT_PERMISSION = "sales.view_audit_log"
TAG_PERMISSION = "leads.tag_people"


@dataclass(frozen=True)
class Scope:
    """everybody, a team (by name), or only the user's own people."""

    kind: str  # "all" | "team" | "own" | "none"
    team: str = ""
    user_id: int | None = None

    @property
    def label(self) -> str:
        return {"all": "everybody", "team": f"team {self.team}", "own": "the people you own", "none": "nobody"}[
            self.kind
        ]

    def owner_q(self, prefix: str = "") -> Q | None:
        """A condition on the owner column (`{prefix}owner`); None means no condition."""
        if self.kind == "all":
            return None
        if self.kind == "none":
            return Q(pk__in=[])
        own = Q(**{f"{prefix}owner_id": self.user_id})
        if self.kind == "team":
            team_users = SalesRep.objects.filter(team=self.team).values("user_id")
            return own | Q(**{f"{prefix}owner_id__in": team_users})
        return own


def scope_for(user) -> Scope:
    if not (user and user.is_authenticated and user.is_active):
        return Scope("none")
    if user.is_superuser or user.has_perm(ALL_PERMISSION):
        return Scope("all")
    if user.has_perm(TEAM_PERMISSION):
        team = SalesRep.objects.filter(user=user).values_list("team", flat=True).first()
        if team:
            return Scope("team", team=team, user_id=user.pk)
    return Scope("own", user_id=user.pk)


def visible_people(user, queryset=None):
    queryset = Person.objects.all() if queryset is None else queryset
    condition = scope_for(user).owner_q()
    return queryset if condition is None else queryset.filter(condition)


def visible_leads(user, queryset=None):
    queryset = Lead.objects.all() if queryset is None else queryset
    condition = scope_for(user).owner_q("person__")
    return queryset if condition is None else queryset.filter(condition)


def visible_companies(user, queryset=None):
    queryset = Company.objects.all() if queryset is None else queryset
    scope = scope_for(user)
    condition = scope.owner_q()
    if condition is None:
        return queryset
    people = Person.objects.filter(scope.owner_q()).exclude(company_id=None).values("company_id")
    return queryset.filter(condition | Q(pk__in=people))


def can_see_person(user, person_or_id) -> bool:
    person_id = getattr(person_or_id, "pk", person_or_id)
    return visible_people(user, Person.objects.filter(pk=person_id)).exists()


def can_export(user) -> bool:
    return bool(user and user.is_active and user.has_perm(EXPORT_PERMISSION))


def can_work_leads(user) -> bool:
    return bool(user and user.is_active and user.has_perm(WORK_PERMISSION))


def can_tag_people(user) -> bool:
    return bool(user and user.is_active and user.has_perm(TAG_PERMISSION))


def can_view_audit_log(user) -> bool:
    return bool(user and user.is_active and user.has_perm(AUDIT_PERMISSION))
