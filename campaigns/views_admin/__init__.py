"""The campaign editor's own screens: preview (desktop, phone, as a chosen person) and send a test."""
