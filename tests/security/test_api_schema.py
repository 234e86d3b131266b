"""The product API (/api/v1/) answers as its OpenAPI schema says, whatever it is sent.

Schemathesis reads /api/v1/openapi.json from the WSGI application in-process and, for every
operation, sends generated requests (valid and invalid: examples, boundary cases, then fuzzing),
bounded and with a fixed seed so a run repeats exactly. Each response must not be a 5xx and must be
documented: its status code, content type and body shape. Then every GET is called once with the ids
of real objects, so the success responses are checked too, not only the errors a random id finds.
"""

import json
import time

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from forms.intake.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, intake_signature
from tests.security.world import world_module

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
INTAKE = "/api/v1/intake/{provider}"
CRM_FEEDBACK = "/api/v1/crm/feedback"
PROVIDER, SECRET = "linkedin", "li-secret-123"
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260611,
        "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)

# The project's WSGI application, with its whole middleware stack (Django is set up by pytest-django).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)
world = world_module()


@pytest.fixture(autouse=True)
def _the_test_transaction_survives_each_request():
    """Schemathesis calls the WSGI application itself, and the end of every request closes a connection
    that is inside a transaction (close_old_connections): the test's, on PostgreSQL. Django's own test
    client keeps it open the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _signed_intake_and_no_rate_limits(settings):
    """A provider is set up (a signed call can be received), and the spam rules' rate limits and
    fastest-fill time do not turn the generated submissions into 429s and 400s."""
    from django.core.cache import cache

    settings.LEAD_INTAKE_SECRETS = {PROVIDER: SECRET}
    settings.CRM_FEEDBACK_SECRET = SECRET
    settings.FORMS_RATE_LIMIT_IP = settings.FORMS_RATE_LIMIT_EMAIL = (1_000_000, 1)
    settings.FORMS_MIN_FILL_SECONDS = 0
    cache.clear()


@schema.parametrize()
# One database transaction (pytest-django's) holds all the examples of an operation: nothing they write
# changes what the next one may answer, except the rate limits, which the fixture above opens.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented(case, db, world):
    _at_real_objects(case, world)
    case.call_and_validate(checks=CHECKS, **_as_a_provider_sends_it(case))


REAL_IDS = {"event_id": "event", "form_id": "form"}


def _at_real_objects(case, world) -> None:
    """Fuzzed valid cases go to an event and a form that exist, so the answers, registrations and their
    errors are what gets fuzzed, not only the 404 of a random id (the boundary ids of the coverage
    phase, and every invalid case, keep theirs)."""
    if case.meta is None or case.meta.phase.name != TestPhase.FUZZING or case.meta.generation.mode.is_negative:
        return
    for name, key in REAL_IDS.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = world.ids[key]


def _as_a_provider_sends_it(case) -> dict:
    """A valid intake case goes to a provider that is set up, signed now with its secret, and a valid CRM
    feedback case is signed with the feedback secret (the same scheme): so the reading of generated
    leads and deals is what gets fuzzed, not only the signature check (every unsigned call is a 401;
    tests/forms/test_intake.py and tests/leads/test_crm_feedback.py cover those)."""
    if case.operation.path not in (INTAKE, CRM_FEEDBACK) or case.meta is None:
        return {}
    if case.meta.generation.mode.is_negative or isinstance(case.body, NotSet):
        return {}
    if case.operation.path == INTAKE:
        case.path_parameters["provider"] = PROVIDER
    raw, timestamp = json.dumps(case.body).encode(), str(int(time.time()))
    return {
        "data": raw,
        "headers": {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: intake_signature(SECRET, timestamp, raw),
        },
    }


GETS_WITH_REAL_IDS = [
    ("/api/v1/health", {}),
    ("/api/v1/site", {}),
    ("/api/v1/events", {}),
    ("/api/v1/events/{event_id}", {"event_id": "event"}),
    ("/api/v1/forms/{form_id}", {"form_id": "form"}),
    ("/api/v1/personalization/visitor", {}),
]


@pytest.mark.parametrize("path, ids", GETS_WITH_REAL_IDS)
def test_success_responses_match_the_schema(db, world, path, ids):
    operation = schema[path]["GET"]
    case = operation.Case(path_parameters={name: world.ids[key] for name, key in ids.items()})
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 200, response.text[:500]
