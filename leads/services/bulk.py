"""Set-based capture: thousands of leads (an import's rows) in a handful of statements per batch.

`lead_capture` stores and processes one submission in ~20 queries, which is right for a form fill
and far too slow for a 100,000-row file. `BulkCapture.process(rows)` does the same work for a
batch of rows (1,000-2,000 is a good size) with a constant number of statements:

1. clean every row in Python (`leads.cleaning.clean_lead`, the same rules and flags);
2. fetch the people already known by identity key, and the companies by domain and by name, in
   one query each;
3. replay the identity rules of `identity.person_resolve` / `company_resolve` row by row in memory,
   in file order (new non-blank values win, blanks erase nothing, junk never changes a known
   person, a junk row still creates a person who did not exist, flagged);
4. write: new companies and domains, new people (bulk_create), changed people and companies
   (bulk_update), the leads already processed and the interactions (bulk_create);
5. rescore the touched people with one UPDATE ... FROM (`scoring.people_rescore`), then apply the
   stage rules (`lifecycle.stage_rules_apply`) to those the score or the fast lane promotes.

The whole batch is one transaction (a savepoint inside the caller's, so a caller can record its
progress with it). If it fails, the rows are stored anyway as raw leads marked *failed*, which
`manage.py reprocess_leads` processes one by one: nothing accepted is lost.

Differences from the single path, on purpose: the rows of one import share one origin
(`origin_id`), so the duplicate-window check does not apply within it; an email repeated in the
batch updates the person (later values win) and records no second interaction. Imports carry no
visitor id, so no visitor is linked.
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from leads.cleaning import CleanedLead, clean_lead, clean_text
from leads.models import Company, CompanyDomain, Interaction, Lead, LeadStoreSettings, Person

from .capture import UTM_FIELDS, _as_json_text, cleaning_rules, topics_text
from .identity import BAND_CHOICES, _employee_count, _name_key, _person_values, employee_band_for
from .lifecycle import mql_condition, promotable_people, stage_rules_apply
from .scoring import people_rescore
from .tags import people_tags_from_captures

logger = logging.getLogger(__name__)

IMPORTED = "imported"  # the interaction an import records; worth 0 interest unless a rule says otherwise

CREATED, UPDATED, REJECTED, FAILED = "created", "updated", "rejected", "failed"
PERSON_UPDATE_FIELDS = [
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "seniority",
    "country",
    "consent",
    "company",
    "is_personal_email",
]
COMPANY_UPDATE_FIELDS = ["industry", "employee_band", "employee_count"]


@dataclass
class BulkRow:
    """One row to capture: its number in the file, the raw row, the answers under our field names."""

    number: int
    payload: dict
    fields: dict


@dataclass
class BulkOutcome:
    number: int
    outcome: str  # created (a new person), updated (a known person), rejected (junk), failed (stored, to retry)
    email: str = ""
    flags: list[dict] = field(default_factory=list)  # the lead's flags: {"code", "reason"}
    repeat_of: int | None = None  # the row number where this email first appeared in the import
    person_id: int | None = None
    lead_id: int | None = None
    error: str = ""


@dataclass
class _Prepared:
    row: BulkRow
    cleaned: CleanedLead
    outcome: BulkOutcome
    person: Person | None = None
    company: Company | None = None
    record_interaction: bool = False


class BulkCapture:
    """One import's capture: settings and cleaning rules read once, state carried across batches."""

    def __init__(
        self,
        *,
        label: str,
        origin_id: str = "",
        interaction_type: str = IMPORTED,
        source: str = Lead.Source.IMPORT,
        origin_type: str = Lead.OriginType.OTHER,
        received_at=None,
        settings: LeadStoreSettings | None = None,
    ):
        self.settings = settings or LeadStoreSettings.load()
        self.rules = cleaning_rules(self.settings)
        self.label = clean_text(label, 255)[0]
        self.origin_id = clean_text(origin_id, 64)[0]
        self.origin_type = origin_type if origin_type in Lead.OriginType.values else Lead.OriginType.OTHER
        self.source = source if source in Lead.Source.values else Lead.Source.MANUAL
        self.interaction_type = clean_text(interaction_type, 40)[0] or IMPORTED
        self.received_at = received_at
        self.seen: dict[str, int] = {}  # identity key -> row number of its first appearance
        self.timings: dict[str, float] = defaultdict(float)  # seconds per phase, for benchmarks

    # -- public ---------------------------------------------------------------------------------

    def process(self, rows: list[BulkRow]) -> list[BulkOutcome]:
        """Capture a batch; one outcome per row, in order. Never raises for bad rows."""
        if not rows:
            return []
        started = time.perf_counter()
        prepared = [self._clean(row) for row in rows]
        self._tick("clean", started)
        error = None
        for _attempt in range(2):  # a second try after losing a race for a new email or domain
            try:
                with transaction.atomic():
                    return self._write(prepared)
            except IntegrityError as exc:
                error = exc
                logger.warning("Bulk capture lost a race (%s); trying the batch again", exc)
            except Exception as exc:  # noqa: BLE001 - the rows are kept as failed leads below
                error = exc
                break
        logger.error("Bulk capture of %s rows failed: %s", len(rows), error, exc_info=error)
        return self._store_failed(prepared, error)

    # -- steps ----------------------------------------------------------------------------------

    def _tick(self, phase, started):
        self.timings[phase] += time.perf_counter() - started
        return time.perf_counter()

    def _clean(self, row: BulkRow) -> _Prepared:
        fields = row.fields if isinstance(row.fields, dict) else {}
        cleaned = clean_lead(fields, self.rules)
        return _Prepared(
            row=row,
            cleaned=cleaned,
            outcome=BulkOutcome(
                number=row.number,
                outcome=REJECTED,
                email=cleaned.email or clean_text(fields.get("email"), 254)[0],
                flags=[flag.as_dict() for flag in cleaned.flags],
            ),
        )

    def _write(self, prepared: list[_Prepared]) -> list[BulkOutcome]:
        started = time.perf_counter()
        now = timezone.now()
        received_at = self.received_at or now
        seen = dict(self.seen)
        for p in prepared:  # from scratch: this may be the second try of the batch
            p.person, p.record_interaction = None, False
            p.outcome.outcome, p.outcome.repeat_of = REJECTED, None

        keys = {p.cleaned.email_key for p in prepared if p.cleaned.email_key}
        people = {person.email_key: person for person in Person.objects.filter(email_key__in=keys)}
        resolver = _CompanyResolver(prepared, people)
        new_people: dict[str, Person] = {}
        changed_people: dict[str, set] = defaultdict(set)
        for p in prepared:
            key, cleaned, outcome = p.cleaned.email_key, p.cleaned, p.outcome
            if not key:
                continue  # missing or invalid email: stored as a flagged lead, no person
            if key in seen:
                outcome.repeat_of = seen[key]
            else:
                seen[key] = p.row.number
                p.record_interaction = True
            person = people.get(key)
            values = _person_values(cleaned)
            codes = {flag.code for flag in cleaned.flags}
            if person is None:
                company = resolver.resolve(cleaned)
                person = Person(
                    email=cleaned.email,
                    email_key=key,
                    company=company,
                    is_test="test_data" in codes,
                    is_competitor="competitor" in codes,
                    is_personal_email="personal_email" in codes,
                    **{name: value for name, value in values.items() if value},
                )
                people[key] = new_people[key] = person
                outcome.outcome = REJECTED if cleaned.is_junk else CREATED
            elif cleaned.is_junk:
                outcome.outcome = REJECTED
            else:
                company = resolver.resolve(cleaned)
                if company is not None:
                    values["company"] = company
                values["is_personal_email"] = "personal_email" in codes
                changed = _apply(person, values)
                if key not in new_people:
                    changed_people[key] |= changed
                # Known before, or created by an earlier row of this import (a repeat).
                outcome.outcome = UPDATED
            p.person = person
        started = self._tick("resolve", started)

        resolver.save(now)
        Person.objects.bulk_create(list(new_people.values()), batch_size=1000)
        updates = [people[key] for key, changed in changed_people.items() if changed]
        if updates:
            fields = sorted({name for key in changed_people for name in changed_people[key]} | {"updated_at"})
            for person in updates:
                person.updated_at = now
            bulk_set(Person, updates, fields)
        started = self._tick("people", started)

        leads = [self._lead(p, received_at, now) for p in prepared]
        Lead.objects.bulk_create(leads, batch_size=1000)
        started = self._tick("leads", started)

        properties = {"source": self.source}
        interactions = []
        for p, lead in zip(prepared, leads, strict=True):
            p.outcome.lead_id = lead.pk
            p.outcome.person_id = p.person.pk if p.person is not None else None
            if p.person is not None and p.record_interaction:
                interactions.append(
                    Interaction(
                        type=self.interaction_type,
                        occurred_at=received_at,
                        person_id=p.person.pk,
                        object_type=self.origin_type,
                        object_id=self.origin_id,
                        object_label=self.label,
                        properties={**properties, **{k: getattr(lead, k) for k in UTM_FIELDS if getattr(lead, k)}},
                        lead=lead,
                    )
                )
        Interaction.objects.bulk_create(interactions, batch_size=1000)
        people_tags_from_captures(prepared, source=self.source, at=received_at)  # a `tags` column, before the rescore
        started = self._tick("interactions", started)

        touched = {p.person.pk for p in prepared if p.person is not None}
        people_rescore(touched, now=now, settings=self.settings)
        started = self._tick("rescore", started)

        self._stage_rules({p.person.pk for p in prepared if p.person is not None and not p.cleaned.is_junk})
        self._tick("stages", started)
        self.seen = seen
        return [p.outcome for p in prepared]

    def _lead(self, p: _Prepared, received_at, now) -> Lead:
        fields = p.row.fields if isinstance(p.row.fields, dict) else {}

        def text(name, limit=255):
            return clean_text(fields.get(name), limit)[0]

        return Lead(
            source=self.source,
            origin_type=self.origin_type,
            origin_id=self.origin_id,
            origin_label=self.label,
            origin_topics=topics_text(()),
            raw_payload=_as_json_text(p.row.payload),
            mapped_fields=_as_json_text(fields),
            **{name: text(name) for name in UTM_FIELDS},
            referrer=text("referrer", 2000),
            landing_page=text("landing_page", 2000),
            interaction_type=self.interaction_type,
            received_at=received_at,
            person=p.person,
            flags=p.outcome.flags,
            verdict=Lead.Verdict.FLAGGED if p.cleaned.is_junk else Lead.Verdict.CLEAN,
            status=Lead.Status.PROCESSED,
            attempts=1,
            processed_at=now,
        )

    def _stage_rules(self, person_ids: set[int]) -> None:
        """MQL by score, or the fast lane (key accounts, contact sales), for the few who qualify."""
        if not person_ids:
            return
        settings = self.settings
        qualifies = mql_condition(settings, timezone.now())
        fast_lane = self.interaction_type == Interaction.Type.CONTACT_SALES
        if not fast_lane:
            qualifies |= Q(company__is_key_account=True)
        candidates = promotable_people(person_ids).select_related("company")
        if not fast_lane:
            candidates = candidates.filter(qualifies)
        for person in candidates.order_by("pk"):
            if fast_lane:
                reason = "asked to contact sales"
            elif person.company_id and person.company.is_key_account:
                reason = f"works at key account {person.company.name}"
            else:
                reason = ""
            stage_rules_apply(person, fast_lane_reason=reason, settings=settings)

    def _store_failed(self, prepared: list[_Prepared], error) -> list[BulkOutcome]:
        """The batch could not be processed: keep every row as a raw lead for `reprocess_leads`."""
        message = f"{type(error).__name__}: {error}"[:2000]
        received_at = self.received_at or timezone.now()
        leads = []
        for p in prepared:
            fields = p.row.fields if isinstance(p.row.fields, dict) else {}
            leads.append(
                Lead(
                    source=self.source,
                    origin_type=self.origin_type,
                    origin_id=self.origin_id,
                    origin_label=self.label,
                    raw_payload=_as_json_text(p.row.payload),
                    mapped_fields=_as_json_text(fields),
                    **{name: clean_text(fields.get(name), 255)[0] for name in UTM_FIELDS},
                    interaction_type=self.interaction_type,
                    received_at=received_at,
                    status=Lead.Status.FAILED,
                    processing_error=message,
                    attempts=1,
                )
            )
        with transaction.atomic():
            Lead.objects.bulk_create(leads, batch_size=1000)
        outcomes = []
        for p, lead in zip(prepared, leads, strict=True):
            outcomes.append(
                BulkOutcome(number=p.row.number, outcome=FAILED, email=p.outcome.email, lead_id=lead.pk, error=message)
            )
        return outcomes


def bulk_set(model, objects: list, fields: list[str], batch_size: int = 1000) -> None:
    """Save `fields` of many rows. On PostgreSQL one UPDATE ... FROM (VALUES ...) per 1,000 rows:
    Django's bulk_update builds a CASE per field and row, which costs seconds of Python per batch."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=500)
        return
    qn = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    table, pk = qn(model._meta.db_table), model._meta.pk
    sets = ", ".join(
        f"{qn(column.column)} = CAST(v.column{n + 2} AS {column.db_type(connection)})"
        for n, column in enumerate(columns)
    )
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            params = []
            for obj in batch:
                obj._prepare_related_fields_for_save(operation_name="bulk_update", fields=columns)
                params.append(obj.pk)
                params += [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(batch))}) AS v"
                f" WHERE {table}.{qn(pk.column)} = CAST(v.column1 AS {pk.rel_db_type(connection)})",
                params,
            )


def _apply(instance, values: dict) -> set:
    """identity._update_fields without the save: a non-blank new value replaces the stored one."""
    changed = set()
    for name, value in values.items():
        if value in ("", None):
            continue
        if isinstance(value, Company):
            # Compared by id: reading instance.company would cost a query per person.
            cached = instance._state.fields_cache.get(name)
            if cached is not value and (value.pk is None or getattr(instance, f"{name}_id") != value.pk):
                setattr(instance, name, value)
                changed.add(name)
        elif getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.add(name)
    return changed


class _CompanyResolver:
    """company_resolve for a batch: one query by domain, one by name, then the same rules in memory."""

    def __init__(self, prepared: list[_Prepared], people: dict):
        domains, names = set(), set()
        for p in prepared:
            domain, name = self._keys(p.cleaned)
            if domain:
                domains.add(domain)
            elif name:
                names.add(_name_key(name))
        self.by_domain = {
            link.domain: link.company
            for link in CompanyDomain.objects.filter(domain__in=domains).select_related("company")
        }
        self.by_name = {}
        for company in Company.objects.filter(name_key__in=names).order_by("-pk"):
            self.by_name[company.name_key] = company  # the oldest wins, as .order_by("pk").first()
        self.new_domains: dict[str, Company] = {}
        self.new_companies: list[Company] = []
        self.changed: dict[int, tuple[Company, set]] = {}

    @staticmethod
    def _keys(cleaned: CleanedLead):
        domain = cleaned.email_domain
        if any(flag.code in {"personal_email", "disposable_email"} for flag in cleaned.flags):
            domain = ""
        return domain, cleaned.values.get("company", "")

    @staticmethod
    def _attributes(cleaned: CleanedLead) -> dict:
        values = cleaned.values
        count = _employee_count(values.get("employees", ""))
        band = values.get("employee_band") if values.get("employee_band") in BAND_CHOICES else employee_band_for(count)
        attributes = {"industry": values.get("industry", ""), "employee_band": band, "employee_count": count}
        return {key: value for key, value in attributes.items() if value not in ("", None)}

    def _create(self, name: str, attributes: dict) -> Company:
        company = Company(name=name, name_key=_name_key(name), **attributes)
        self.new_companies.append(company)
        self.by_name.setdefault(company.name_key, company)
        return company

    def resolve(self, cleaned: CleanedLead) -> Company | None:
        domain, name = self._keys(cleaned)
        attributes = self._attributes(cleaned)
        if domain:
            company = self.by_domain.get(domain)
            if company is None:
                company = self._create(name or domain, attributes)
                self.by_domain[domain] = self.new_domains[domain] = company
                return company
        elif name:
            company = self.by_name.get(_name_key(name))
            if company is None:
                return self._create(name, attributes)
        else:
            return None
        changed = _apply(company, attributes)
        if changed and company.pk is not None:
            self.changed.setdefault(company.pk, (company, set()))[1].update(changed)
        return company

    def save(self, now) -> None:
        Company.objects.bulk_create(self.new_companies, batch_size=1000)
        CompanyDomain.objects.bulk_create(
            [CompanyDomain(company=company, domain=domain) for domain, company in self.new_domains.items()],
            batch_size=1000,
        )
        if self.changed:
            companies = [company for company, _ in self.changed.values()]
            fields = sorted({name for _, names in self.changed.values() for name in names} | {"updated_at"})
            for company in companies:
                company.updated_at = now
            bulk_set(Company, companies, fields)


def leads_import_batch(
    rows: list[BulkRow],
    *,
    label: str,
    origin_id: str = "",
    interaction_type: str = IMPORTED,
    capture: BulkCapture | None = None,
) -> list[BulkOutcome]:
    """Capture one batch of rows. Pass the same `capture` for every batch of one import (it carries
    the settings, the cleaning rules and which emails the import has already seen)."""
    capture = capture or BulkCapture(label=label, origin_id=origin_id, interaction_type=interaction_type)
    return capture.process(rows)
