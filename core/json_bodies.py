"""What every webhook of ours says about a JSON body it cannot take: the kind of value it got, and
how deeply it nests (intake and CRM feedback read bodies the same way)."""


def json_type(value) -> str:
    """'an array', 'an object', 'a string', 'null', 'a boolean' or 'a number': for refusals naming a field."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def json_depth(value, *, limit: int) -> int:
    """How deeply containers nest, counted without recursion (no recursion limit to hit); stops counting
    once past `limit`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
