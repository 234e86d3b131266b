"""Admin for lead imports (CSV/XLSX upload, mapping, preview, progress, summary)."""
