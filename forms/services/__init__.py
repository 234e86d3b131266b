"""Services of the forms app: building a form for a visitor, checking and capturing a submission."""
