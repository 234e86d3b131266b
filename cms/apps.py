from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    label = "cms"
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page, PageViewRestriction, Site
        from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

        from cms.models import Author, CallToAction, Industry, Product, SiteSettings, Topic
        from cms.personalisation import content_changed

        # Cached pages, their routes and recommendations show other pages, snippets and site settings:
        # any change to them, or to where and to whom pages are served, starts a new content epoch, so
        # no cached page outlives what it shows.
        page_published.connect(content_changed, dispatch_uid="cms-content-published")
        page_unpublished.connect(content_changed, dispatch_uid="cms-content-unpublished")
        post_page_move.connect(content_changed, dispatch_uid="cms-content-page-moved")
        page_slug_changed.connect(content_changed, dispatch_uid="cms-content-slug-changed")
        post_delete.connect(content_changed, sender=Page, dispatch_uid="cms-content-page-deleted")
        # Event landing pages: cms owns page types, so it answers the events app (cms.event_pages).
        from cms.event_pages import on_events_changed, on_landing_pages_requested
        from events.signals import events_changed, landing_pages_requested

        landing_pages_requested.connect(on_landing_pages_requested, dispatch_uid="cms-event-pages")
        events_changed.connect(on_events_changed, dispatch_uid="cms-event-pages-in-step")
        for model in (CallToAction, SiteSettings, Author, Industry, Product, Topic, Site, PageViewRestriction):
            post_save.connect(content_changed, sender=model, dispatch_uid=f"cms-content-{model.__name__}")
            post_delete.connect(content_changed, sender=model, dispatch_uid=f"cms-content-del-{model.__name__}")
