"""The filters of an export in words, as (label, value) pairs, for the export form and a job's page:
"Stage: Marketing qualified (MQL)", "Industry: Banking & Financial Services", "Search: “Lead”".
"""

from sales.exports.spec import filterset_for


def describe_filters(list_name: str, params, user=None) -> list[tuple[str, str]]:
    """The filters in words, as (label, value) pairs, for the export form and the job's page."""
    form = filterset_for(list_name, params, user).form
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    described, consumed = [], {"q"}
    query = (params.get("q") or "").strip()
    if query:
        described.append(("Search", f"“{query}”"))
    for name, field in form.fields.items():
        keys = _data_keys(name, field.widget)
        consumed.update(keys)
        if not any(params.get(key) for key in keys):
            continue
        if name in cleaned:
            text = _display(field, cleaned[name])
        else:  # not valid: shown as typed (the form says why); its choices are never consulted
            text = ", ".join(v for key in keys for v in params.getlist(key))
        if text:
            described.append((str(field.label or name), text))
    for key in params:
        if key not in consumed:
            described.append((key, ", ".join(params.getlist(key))))
    return described


def _data_keys(name: str, widget) -> list[str]:
    suffixes = getattr(widget, "suffixes", None)
    if suffixes is not None and hasattr(widget, "suffixed"):
        return [widget.suffixed(name, suffix) for suffix in suffixes]
    names = getattr(widget, "widgets_names", None)
    if names:
        return [name + suffix for suffix in names]
    return [name]


def _display(field, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, slice):
        start, stop = _display(field, value.start), _display(field, value.stop)
        return f"from {start} to {stop}" if start and stop else (f"from {start}" if start else f"up to {stop}")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    labels = _choice_labels(field)
    if labels:
        items = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(labels.get(str(item), str(item)) for item in items)
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return ", ".join(str(item) for item in value)
    return str(value)


def _choice_labels(field) -> dict[str, str]:
    """{value: label} of a choice field, nested groups included; {} for any other field.

    The choices are iterated, never tested for truth or length: the workspace's owner, source and
    industry filters hand django-filter a callable (built only when used), and django-filter 26's
    choice iterator answers len() with len(callable), a TypeError."""
    if hasattr(field, "queryset") or getattr(field, "choices", None) is None:
        return {}
    labels = {}
    for key, label in field.choices:
        if isinstance(label, (list, tuple)):
            labels.update({str(k): str(v) for k, v in label})
        else:
            labels[str(key)] = str(label)
    return labels
