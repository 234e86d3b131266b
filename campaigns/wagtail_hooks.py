"""Every Wagtail hook of the campaigns app (the views and viewsets live in their own modules)."""
