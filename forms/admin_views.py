"""Admin for consent policies, consent records and rejected submissions."""
