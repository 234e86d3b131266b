"""Where pages meet personalisation: which segments a page depends on, the page output cache
keyed by (page revision, segment fingerprint), page views, and recommended content.

Rendered output is shared by every visitor with the same fingerprint and never keyed by a visitor:
the fingerprint is the part of the visitor's segment membership the page actually uses (plus, on
pages with a recommendation block, the few facts recommendations are chosen from).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.module_loading import import_string
from django.utils.text import slugify

from cms import page_holes
from leads.request_facts import UTM_FIELDS

CONTENT_EPOCH_KEY = "cms:content:epoch"
CANDIDATES_TTL = 3600
# The only query parameters a page may carry and still come from the output cache: campaign parameters and
# the tracked-link token (personalisation reads them; they never change the rendered output by themselves).
UTM_PARAMS = {*UTM_FIELDS, "sp_t"}


# --- What a page depends on ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PageProfile:
    segment_ids: frozenset
    has_personalised: bool
    has_recommendations: bool


def _walk(raw, found: dict):
    """Collect the segment ids and recommendation blocks in a StreamField's raw JSON (no queries)."""
    if isinstance(raw, (list, tuple)):
        for item in raw:
            _walk(item, found)
    elif isinstance(raw, dict):
        if isinstance(raw.get("segment"), int):  # a variant in ListBlock's older format (no item ids)
            found["segments"].add(raw["segment"])
        block_type = raw.get("type")
        if block_type in ("personalised", "personalised_hero"):
            found["personalised"] = True
        elif block_type == "recommended":
            found["recommended"] = True
        value = raw.get("value")
        if isinstance(value, dict) and "segment" in value and isinstance(value["segment"], int):
            found["segments"].add(value["segment"])
        if isinstance(value, (dict, list)):
            _walk(value, found)
        for key, child in raw.items():
            if key not in ("type", "value", "id") and isinstance(child, (dict, list)):
                _walk(child, found)


_profiles: dict = {}  # (page id, live revision, publish time) -> PageProfile, per process
PROFILES_KEPT = 2000


def page_profile(page, *, memo: bool = True) -> PageProfile:
    """Which segments a page's personalised blocks use, read from its raw StreamField JSON (no query).

    Kept per (page, live revision) in the process, so a page served from the output cache never
    parses its StreamFields. A preview (a draft, not the live revision) passes memo=False."""
    # The publish time guards against ids reused after a restored database (or a rolled-back test).
    key = (page.pk, page.live_revision_id, page.last_published_at)
    memo = memo and bool(page.live_revision_id)
    cached = _profiles.get(key) if memo else None
    if cached is not None:
        return cached
    found = {"segments": set(), "personalised": False, "recommended": False}
    for name in getattr(page, "personalised_fields", ()):
        field = getattr(page, name, None)
        if field is not None:
            _walk(list(field.raw_data), found)
    profile = PageProfile(frozenset(found["segments"]), found["personalised"], found["recommended"])
    if memo:
        if len(_profiles) >= PROFILES_KEPT:
            _profiles.clear()
        _profiles[key] = profile
    return profile


def content_epoch() -> str:
    epoch = cache.get(CONTENT_EPOCH_KEY)
    if epoch is None:
        epoch = "1"
        cache.add(CONTENT_EPOCH_KEY, epoch, None)
    return epoch


def content_changed(**kwargs) -> None:
    """Something any page may show changed (a page published, a snippet or the site settings saved).

    At once, and again after the transaction commits: a request rendering in between reads the old
    rows and would otherwise keep them under the new epoch."""
    from django.db import transaction

    _new_epoch()
    transaction.on_commit(_new_epoch)


def _new_epoch():
    import secrets

    cache.set(CONTENT_EPOCH_KEY, secrets.token_hex(6), None)


# --- The page output cache ------------------------------------------------------------------------------
def cacheable(request, params=frozenset(), *, any_params: bool = False) -> bool:
    """Whether this request's page may come from (and fill) the output cache. `params`: the query
    parameters the page's output depends on (a listing's filters and page number); `any_params` (the
    route lookup, before the page is known) leaves them to the route: one is kept only for a query a page
    cached."""
    if request.method != "GET" or getattr(request, "is_preview", False):
        return False
    if request.headers.get("HX-Request"):
        return False
    if not any_params and any(name not in UTM_PARAMS and name not in params for name in request.GET):
        return False  # an unknown parameter could change the output; and must not fill the cache
    if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
        return False  # a signed-in user (an editor) may see more than visitors do
    return True


def output_query(request) -> str:
    """The query parameters that choose the output (all but campaign parameters), in one canonical order."""
    return urlencode(sorted((k, v) for k, values in request.GET.lists() if k not in UTM_PARAMS for v in values))


def output_uncacheable(request) -> None:
    """Called while rendering: this output must not be kept (e.g. a listing asked for an invalid filter)."""
    request.sp_output_uncacheable = True


def _output_key(page_id, revision_id, epoch, host, profile: PageProfile, visitor, query="") -> str:
    parts = [str(page_id), str(revision_id), epoch, host, query]
    if profile.has_personalised:
        parts += [visitor.segment_version, ",".join(map(str, visitor.fingerprint(profile.segment_ids)))]
    if profile.has_recommendations:
        parts.append(recommendation_fingerprint(visitor))
    digest = hashlib.blake2s("|".join(parts).encode(), digest_size=16).hexdigest()
    return f"cms:page:{page_id}:{digest}"


def output_variant(request, spec) -> str | None:
    """What else a page's output shows, read live for this request (`page.output_variant_spec`: a dotted
    function and its argument, kept with the route so the fast path reads it too), e.g. an event page's
    registration state. None: the page cannot be served from the cache now (Wagtail decides)."""
    if not spec:
        return ""
    reader, argument = spec
    return import_string(reader)(request, argument)


def output_cache_key(page, request, epoch: str) -> str | None:
    if not cacheable(request, page.output_cache_params) or not page.live_revision_id:
        return None
    variant = output_variant(request, page.output_variant_spec())
    if variant is None:
        return None
    return _output_key(
        page.pk,
        page.live_revision_id,
        epoch,
        request.get_host(),
        page_profile(page),
        request.personalization,
        output_query(request) + variant,
    )


def _cached_response(request, hit, profile: PageProfile):
    content, content_type, shown, *extra = hit  # (entries kept before holes and Vary have neither)
    holes = extra[0] if extra else {}
    response = HttpResponse(content, content_type=content_type)
    if len(extra) > 1 and extra[1]:
        response["Vary"] = extra[1]  # e.g. a listing's HX-Request: its URL also answers with a fragment
    _variants_shown(request.personalization, shown)
    return page_holes.fill(request, _personalised_headers(response, profile), holes)


def _personalised_headers(response, profile: PageProfile):
    if profile.has_personalised or profile.has_recommendations:
        # The output depends on who asks: a shared cache must not keep it, a browser must revalidate.
        patch_vary_headers(response, ("Cookie", "X-Visitor-Id"))
        patch_cache_control(response, private=True, no_cache=True)
    return response


def serve_personalised(page, request, serve, *, use_cache: bool):
    """Serve a page from the output cache, or render it with `serve` and keep it for visitors like this one."""
    visitor = getattr(request, "personalization", None)
    if visitor is None:  # a request the middleware did not see (e.g. the admin's preview)
        return serve()
    epoch = content_epoch()  # read once: the output and its route are kept under the epoch they were read in
    key = output_cache_key(page, request, epoch) if use_cache else None
    hit = cache.get(key) if key else None
    profile = page_profile(page, memo=not getattr(request, "is_preview", False))
    if hit is not None:
        return _cached_response(request, hit, profile)
    already_shown = len(visitor.shown_variants)
    page_holes.holes_taken(request)
    request.sp_output_uncacheable = False
    response = serve()
    if hasattr(response, "render"):
        response.render()
    # The per-visitor parts (a form panel) were left as holes: the output kept is everyone's.
    holes = page_holes.holes_taken(request)
    patch_vary_headers(response, getattr(page, "output_vary", ()))  # kept with the output, for its hits
    if key and response.status_code == 200 and not response.cookies and not request.sp_output_uncacheable:
        shown = visitor.shown_variants[already_shown:]
        cache.set(
            key,
            (response.content, response["Content-Type"], shown, holes, response.get("Vary", "")),
            settings.PERSONALIZATION_PAGE_CACHE_SECONDS,
        )
        _remember_route(page, _route_key(request), profile, epoch)
    return page_holes.fill(request, _personalised_headers(response, profile), holes)


# --- The content API's page detail -------------------------------------------------------------------------
def _api_key(page_id, revision_id, epoch, request, profile: PageProfile, visitor) -> str:
    place = f"{request.scheme}://{request.get_host()}"
    return "cms:api:" + _output_key(page_id, revision_id, epoch, place, profile, visitor, output_query(request))


def _api_route_key(request, page_id) -> str:
    place = f"{request.scheme}://{request.get_host()}|{page_id}"
    return "cms:apiroute:" + hashlib.blake2s(place.encode(), digest_size=16).hexdigest()


def _api_keepable(request) -> bool:
    visitor = getattr(request, "personalization", None)
    return visitor is not None and request.method == "GET" and "Authorization" not in request.headers


def api_detail(page, request, serialize):
    """The page's JSON for this visitor from the cache, or `serialize()`d and kept: as the page's output, per
    revision, content epoch, the visitor's segments among those the page uses and their recommendation
    profile, and the query (`fields`...). Made for this request alone: with a token (all variants), and for
    a page whose JSON shows live state beyond its key (an event's seats left). The personalised variants
    it shows are counted as shown either way (as a cached page's are)."""
    keep = _api_keepable(request) and page.live_revision_id and page.output_variant_spec() is None
    if not keep:
        return serialize()
    visitor = request.personalization
    epoch = content_epoch()
    profile = page_profile(page)
    key = _api_key(page.pk, page.live_revision_id, epoch, request, profile, visitor)
    hit = cache.get(key)
    if hit is not None:
        return _api_hit(visitor, hit)
    already_shown = len(visitor.shown_variants)
    data = serialize()
    cache.set(key, (data, visitor.shown_variants[already_shown:]), settings.PERSONALIZATION_PAGE_CACHE_SECONDS)
    _remember_route(page, _api_route_key(request, page.pk), profile, epoch)
    return data


def api_detail_from_route(request, page_id) -> dict | None:
    """The fast path of `api_detail`: a page's JSON already kept for a visitor like this one, answered before
    Wagtail looks the page up (the site, the public pages, the page and its row). Its route (which page
    and revision, what it depends on) is remembered per content epoch, never for a page with view
    restrictions; the view is recorded as Wagtail's path would record it. None: take the usual path."""
    if not _api_keepable(request):
        return None
    route_key = _api_route_key(request, page_id)
    found = cache.get_many([route_key, CONTENT_EPOCH_KEY])
    route, epoch = found.get(route_key), found.get(CONTENT_EPOCH_KEY)
    if route is None or route["epoch"] != epoch:
        return None
    visitor = request.personalization
    hit = cache.get(_api_key(route["page_id"], route["revision_id"], epoch, request, route["profile"], visitor))
    if hit is None:
        return None
    request.pz_page_id = route["page_id"]
    _route_page_view(request, route)
    return _api_hit(visitor, hit)


def _api_hit(visitor, hit):
    data, shown = hit
    _variants_shown(visitor, shown)
    return data


def _variants_shown(visitor, shown) -> None:
    """Count the personalised variants a kept output shows as shown again (their impressions)."""
    for variant in shown:
        visitor.variant_shown(variant)


# --- The fast path: a cached page served before Wagtail routes the request --------------------------------
# Once a page has been rendered for a URL, the route remembers which page and revision it was, what it
# depends on and what a view of it tells about the visitor. The next request for that URL is answered
# from the output cache without loading the site, the page or its StreamFields: no query at all. Any
# publish, unpublish, move, deletion, privacy or site change starts a new content epoch, which
# forgets every route. Pages with view restrictions are never remembered.
def _route_key(request) -> str:
    place = f"{request.get_host()}|{request.path}|{output_query(request)}"
    digest = hashlib.blake2s(place.encode(), digest_size=16).hexdigest()
    return f"cms:route:{digest}"


def _remember_route(page, route_key: str, profile: PageProfile, epoch: str):
    """Remember which page and revision answer `route_key` and what a view of it tells about the visitor
    (the HTML and the API fast paths); never for a page with view restrictions."""
    if page.get_view_restrictions().exists():
        return
    topics, industries = page_tags(page)
    cache.set(
        route_key,
        {
            "page_id": page.pk,
            "revision_id": page.live_revision_id,
            "epoch": epoch,
            "profile": profile,
            "topics": topics,
            "industries": industries,
            "title": page.title,
            "variant": page.output_variant_spec(),
        },
        settings.PERSONALIZATION_PAGE_CACHE_SECONDS,
    )


def _route_page_view(request, route: dict) -> None:
    request.personalization.page_view(
        page_id=route["page_id"],
        path=request.path,
        title=route.get("title", ""),  # (routes kept before titles were kept have none)
        topics=route["topics"],
        industries=route["industries"],
    )


def serve_from_route(request):
    """The cached page for this URL and this visitor, or None (then Wagtail serves the request)."""
    if not hasattr(request, "personalization") or not cacheable(request, any_params=True):
        return None  # (the middleware skips a few paths, e.g. /favicon..., and leaves them to Wagtail)
    from personalization.services import visitor_context

    route_key = _route_key(request)
    # Fetched in the same round trip as the visitor's state and the segment version.
    request.pz_extra_cache_keys = (route_key, CONTENT_EPOCH_KEY)
    visitor = visitor_context(request)
    route = visitor.extra_cached.get(route_key)
    epoch = visitor.extra_cached.get(CONTENT_EPOCH_KEY)
    if route is None or route["epoch"] != epoch:
        return None
    variant = output_variant(request, route.get("variant"))
    if variant is None:
        return None
    _route_page_view(request, route)
    request.pz_page_view_recorded = True  # if Wagtail serves it after all, the view is not counted twice
    profile = route["profile"]
    query = output_query(request) + variant
    key = _output_key(route["page_id"], route["revision_id"], epoch, request.get_host(), profile, visitor, query)
    hit = cache.get(key)
    return _cached_response(request, hit, profile) if hit is not None else None


def serve(request, path):
    """Every page URL: the cached page when there is one for this visitor, else Wagtail's page serving."""
    from wagtail.views import serve as wagtail_serve

    return serve_from_route(request) or wagtail_serve(request, path)


# --- Page views --------------------------------------------------------------------------------------------
def page_tags(page) -> tuple[tuple, tuple]:
    """(topic slugs, industry slugs) of a whitepaper or case study, cached per revision."""
    reader = getattr(page, "visitor_tags", None)
    if reader is None:
        return (), ()
    key = f"cms:tags:{page.pk}:{page.live_revision_id}"
    tags = cache.get(key)
    if tags is None:
        tags = reader()
        cache.set(key, tags, 24 * 3600)
    return tags


def page_view_record(page, request) -> None:
    visitor = getattr(request, "personalization", None)
    if visitor is None or request.method != "GET" or request.headers.get("HX-Request"):
        return
    if getattr(request, "pz_page_view_recorded", False):
        return
    topics, industries = page_tags(page)
    visitor.page_view(page_id=page.pk, path=request.path, title=page.title, topics=topics, industries=industries)


# --- Recommended content ---------------------------------------------------------------------------------
def visitor_profile(visitor) -> tuple[str, tuple, frozenset]:
    """(industry, up to three favourite topics, downloaded page ids): all recommendations depend on."""
    if visitor is None:
        return "", (), frozenset()
    state = visitor.state
    person = state.person
    # Industries are matched by slug: a company's "Financial services" is the snippet "financial-services".
    industry = slugify(person.industry) if person and person.industry else ""
    if not industry and state.industries_viewed:
        industry = max(state.industries_viewed.items(), key=lambda item: (item[1], item[0]))[0]
    topics = tuple(sorted(state.topics_viewed, key=lambda t: (-state.topics_viewed[t], t))[:3])
    downloaded = person.downloaded if person else frozenset()
    return industry, topics, downloaded


def recommendation_fingerprint(visitor) -> str:
    industry, topics, downloaded = visitor_profile(visitor)
    return f"{industry};{','.join(topics)};{','.join(sorted(downloaded))}"


def _candidates() -> list[dict]:
    """Every live public whitepaper and case study with its topics and industries: cached per content epoch."""
    key = f"cms:reco:{content_epoch()}"
    candidates = cache.get(key)
    if candidates is not None:
        return candidates
    from cms.models import CaseStudyPage, WhitepaperPage

    candidates = []
    for whitepaper in WhitepaperPage.objects.live().public().prefetch_related("topics", "industries"):
        candidates.append(
            {
                "pk": whitepaper.pk,
                "kind": "whitepapers",
                "date": whitepaper.publish_date.isoformat(),
                "topics": {t.slug for t in whitepaper.topics.all()},
                "industries": {i.slug for i in whitepaper.industries.all()},
            }
        )
    for story in CaseStudyPage.objects.live().public().select_related("industry").prefetch_related("topics"):
        candidates.append(
            {
                "pk": story.pk,
                "kind": "case_studies",
                "date": story.publish_date.isoformat(),
                "topics": {t.slug for t in story.topics.all()},
                "industries": {story.industry.slug} if story.industry else set(),
            }
        )
    cache.set(key, candidates, CANDIDATES_TTL)
    return candidates


def recommended_content(request, *, source: str = "both", limit: int = 3) -> list:
    """Pages for this visitor: industry match first, then topic affinity, then the newest; never a
    whitepaper they downloaded."""
    from cms.selectors import latest_case_studies, latest_whitepapers

    visitor = getattr(request, "personalization", None) if request is not None else None
    if visitor is not None:
        visitor.personalised = True  # the response now depends on this visitor (headers, see middleware)
    industry, topics, downloaded = visitor_profile(visitor)
    weights = {topic: 3 - rank for rank, topic in enumerate(topics)}

    def score(candidate):
        points = 10 if industry and industry in candidate["industries"] else 0
        points += sum(weights.get(topic, 0) for topic in candidate["topics"])
        return (points, candidate["date"], candidate["pk"])

    chosen = sorted(
        (c for c in _candidates() if (source == "both" or c["kind"] == source) and str(c["pk"]) not in downloaded),
        key=score,
        reverse=True,
    )[:limit]
    ids = {kind: [c["pk"] for c in chosen if c["kind"] == kind] for kind in ("whitepapers", "case_studies")}
    pages = {}
    if ids["whitepapers"]:
        pages.update((p.pk, p) for p in latest_whitepapers().filter(pk__in=ids["whitepapers"]))
    if ids["case_studies"]:
        pages.update((p.pk, p) for p in latest_case_studies().filter(pk__in=ids["case_studies"]))
    return [pages[c["pk"]] for c in chosen if c["pk"] in pages]
