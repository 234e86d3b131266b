"""The request edge: a query string is checked once, here, before any view reads it.

Every request outside the Wagtail admin:
- no parameter name or value may hold control characters (NUL, the rest of C0, DEL, C1), bytes that
  are not UTF-8 (Django would quietly turn them into U+FFFD; encoded lone surrogates are among them),
  or more than MAX_VALUE_LENGTH characters (MAX_NAME_LENGTH for a name). Nothing we serve takes such
  text, and PostgreSQL answers NUL in any text parameter with an error, not an empty result, so one
  check here spares every view, ours and the libraries', from looking for it;
- under a prefix of WHOLE_NUMBERS, the parameters listed there must be whole numbers the database
  can hold (a bigint): Wagtail's content API hands ?offset= and ?id= to the ORM after a bare int(),
  so `?offset=99999999999999999999999` was "bigint out of range" and `pages/find/?id=abc` a 500.

The admin is left to its own views: it is staff behind a login, and its listings (Wagtail's, the sales
workspace's) already ignore a filter they cannot read, which their users rely on.

A refused request gets 400 naming the parameter, in the error shape of the API it was sent to: the
product API (/api/v1/) documents `{"errors": {name: [message]}}`, the content API (/api/v2/)
`{"message": "..."}`; anywhere else a plain-text page.

The product API types its own parameters (django-ninja answers 422): `RowId` bounds its ids like the
rules here, and `ErrorsOut` is the error shape it documents, the one this module answers /api/v1/ in.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated
from urllib.parse import unquote_to_bytes

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from ninja import Field, Schema

# Far beyond any value we read (a search, a signed token, a list of fields): views cut what they keep
# to their own lengths. Longer is an attack or a broken client, and would only cost a query to find
# nothing. (gunicorn already refuses request lines over 4094 bytes; this holds behind any server.)
MAX_VALUE_LENGTH = 10_000
MAX_NAME_LENGTH = 200
# The largest id any of our tables (or Wagtail's) can hold: a bigint on PostgreSQL, SQLite's INTEGER.
DATABASE_INT_MAX = 2**63 - 1
# Reported problems per request: enough to name every bad parameter of a real client's mistake.
MAX_PROBLEMS = 10

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ErrorsOut(Schema):
    """The product API's errors (/api/v1/): the edge's 400, ninja's 404 and 422, the forms' own."""

    errors: dict[str, list[str]] = Field(
        description='field or parameter name -> messages; "__all__" for the whole request'
    )


# An id in the product API: bounded like WHOLE_NUMBERS, so no id reaches the ORM that the database cannot
# hold (SQLite cannot even bind one: /api/v1/forms/99999999999999999999999 was a 500).
RowId = Annotated[int, Field(ge=1, le=DATABASE_INT_MAX)]
# What any operation that reads parameters can answer besides its own results: the edge's 400, ninja's 422.
PARAMETER_ERRORS = {400: ErrorsOut, 422: ErrorsOut}


@dataclass(frozen=True)
class WholeNumber:
    """A parameter that must be a whole number from `minimum` to DATABASE_INT_MAX, or one of `words`."""

    minimum: int = 0
    words: tuple[str, ...] = ()

    def problem(self, value: str) -> str | None:
        if value in self.words:
            return None
        if value.isascii() and value.isdigit() and self.minimum <= int(value) <= DATABASE_INT_MAX:
            return None
        also = "".join(f" or '{word}'" for word in self.words)
        return f"must be a whole number from {self.minimum} to {DATABASE_INT_MAX}{also}"


# Path prefix -> parameters read as numbers there. Wagtail's content API: paging, lookups by id and the
# page-tree filters (which also take 'root'). The product API (/api/v1/) types its own parameters.
_TREE = WholeNumber(words=("root",))
WHOLE_NUMBERS = {
    "/api/v2/": {
        "offset": WholeNumber(),
        "limit": WholeNumber(),
        "id": WholeNumber(),
        "child_of": _TREE,
        "descendant_of": _TREE,
        "translation_of": _TREE,
        "ancestor_of": WholeNumber(),
    },
}


@dataclass(frozen=True)
class ParameterProblem:
    name: str  # printable: a name that is itself the problem is shown escaped
    message: str


def _printable(text: str, limit: int = 60) -> str:
    return ascii(text[:limit])[1:-1] if CONTROL_CHARACTERS.search(text) or not text.isprintable() else text[:limit]


def _decoded(raw: bytes) -> str | None:
    """A query-string component as text, as Django would read it; None when it is not UTF-8."""
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _text_problem(text: str | None, limit: int) -> str | None:
    if text is None:
        return "is not UTF-8 text"
    if CONTROL_CHARACTERS.search(text):
        return "holds control characters (such as NUL), which no parameter takes"
    if len(text) > limit:
        return f"is longer than {limit} characters"
    return None


def query_string_problems(query_string: bytes, path: str) -> list[ParameterProblem]:
    """What is wrong with a request's query string (raw bytes, as sent); empty when nothing is."""
    numbers = next((rules for prefix, rules in WHOLE_NUMBERS.items() if path.startswith(prefix)), {})
    problems = []
    for field in query_string.split(b"&"):
        if not field or len(problems) >= MAX_PROBLEMS:
            continue
        raw_name, _, raw_value = field.partition(b"=")
        name = _decoded(raw_name)
        problem = _text_problem(name, MAX_NAME_LENGTH)
        if problem is not None:
            shown = _printable(name) if name is not None else _printable(raw_name.decode("latin-1"))
            problems.append(ParameterProblem(shown, f"the parameter name {problem}"))
            continue
        value = _decoded(raw_value)
        problem = _text_problem(value, MAX_VALUE_LENGTH)
        if problem is None and name in numbers:
            problem = numbers[name].problem(value)
        if problem is not None:
            problems.append(ParameterProblem(_printable(name, MAX_NAME_LENGTH), problem))
    return problems


def refusal(path: str, problems: list[ParameterProblem]) -> HttpResponse:
    """400 naming the parameters, in the error shape of the API the request was sent to."""
    if path.startswith("/api/v1/"):
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.name, []).append(problem.message)
        return JsonResponse({"errors": errors}, status=400)
    sentences = [f"{problem.name}: {problem.message}" for problem in problems]
    if path.startswith("/api/"):
        return JsonResponse({"message": "; ".join(sentences)}, status=400)
    return HttpResponse(
        "Bad request: this address carries a query parameter we cannot read.\n\n" + "\n".join(sentences) + "\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _raw_query_string(request) -> bytes:
    """The query string's bytes as sent: request.GET has already turned what is not UTF-8 into U+FFFD."""
    scope = getattr(request, "scope", None)
    if scope is not None:  # ASGI hands over the bytes themselves
        raw = scope.get("query_string", b"")
        return raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    query = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("latin-1")  # WSGI (PEP 3333): the bytes as latin-1 text
    except UnicodeEncodeError:  # not from a server: a test's own META
        return query.encode("utf-8", "surrogatepass")


@lru_cache(maxsize=1)
def _admin_prefix() -> str:
    return reverse("wagtailadmin_home")  # "/admin/", wherever cms/urls.py mounts it


class QueryStringGuard:
    """Refuses a request whose query string a view should never see (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = _raw_query_string(request)
        if raw and not request.path_info.startswith(_admin_prefix()):
            problems = query_string_problems(raw, request.path_info)
            if problems:
                return refusal(request.path_info, problems)
        return self.get_response(request)
