"""Admin for gated forms. Each area registers its own viewsets in its module; this file loads them."""

from forms import admin_imports, admin_views  # noqa: F401 - importing registers their hooks
