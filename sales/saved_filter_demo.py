"""The demo's shared saved filters ("My MQLs this week", a whitepaper's A1-B2), made by cms's demo data."""

from sales.models import ListName, SavedFilter
from sales.saved_filter_queries import query_canonical

DEMO_GRADES = ["A1", "A2", "B1", "B2"]


def saved_filters_demo(owner, *, whitepaper=None) -> list[SavedFilter]:
    """The demo's two shared filters, owned by `owner` (idempotent): "My MQLs this week" and
    "<whitepaper>, grades A1-B2". `whitepaper` is the page (anything with pk and title); without one, the
    whitepaper with the lowest id among the lead store's content origins."""
    wanted = [("My MQLs this week", ListName.PEOPLE, [("stage", "mql"), ("owner", "me"), ("period", "this_week")])]
    origin = (whitepaper.pk, whitepaper.title) if whitepaper is not None else _first_whitepaper()
    if origin is not None:
        origin_id, title = origin
        suffix = ", grades A1-B2"
        wanted.append(
            (
                f"{str(title)[: 100 - len(suffix)]}{suffix}",
                ListName.PEOPLE,
                [("source", f"content:{origin_id}"), *(("grade", grade) for grade in DEMO_GRADES)],
            )
        )
    saved = []
    for name, list_name, pairs in wanted:
        saved_filter, _ = SavedFilter.objects.update_or_create(
            owner=owner,
            list_name=list_name,
            name=name,
            defaults={"query": query_canonical(list_name, pairs), "is_shared": True},
        )
        saved.append(saved_filter)
    return saved


def _first_whitepaper():
    from leads.models import Lead

    origins = (
        Lead.objects.filter(origin_type=Lead.OriginType.CONTENT)
        .exclude(origin_id="")
        .values_list("origin_id", flat=True)
        .distinct()
        .order_by()
    )
    ids = sorted(
        origins,
        key=lambda value: (
            not (value.isascii() and value.isdigit()),
            int(value) if value.isascii() and value.isdigit() else 0,
            value,
        ),
    )
    if not ids:
        return None
    label = (
        Lead.objects.filter(origin_type=Lead.OriginType.CONTENT, origin_id=ids[0])
        .exclude(origin_label="")
        .order_by("-received_at")
        .values_list("origin_label", flat=True)
        .first()
    )
    return ids[0], label or f"Whitepaper {ids[0]}"
