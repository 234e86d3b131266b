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
        from cms.page_cache import content_changed

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
        # A gated whitepaper's PDF goes private however the page is published (cms.gated_documents).
        from cms.gated_documents import on_page_published

        page_published.connect(on_page_published, dispatch_uid="cms-gated-pdf-private")
        # A form panel kept in the output cache shows its country's consent wording (forms.services.journey);
        # an event page kept there shows its speakers and sessions (an event's own row is in the key).
        from events.models import EventSession, Speaker
        from forms.models import ConsentPolicy

        for model in (
            CallToAction,
            SiteSettings,
            Author,
            Industry,
            Product,
            Topic,
            Site,
            PageViewRestriction,
            ConsentPolicy,
            Speaker,
            EventSession,
        ):
            post_save.connect(content_changed, sender=model, dispatch_uid=f"cms-content-{model.__name__}")
            post_delete.connect(content_changed, sender=model, dispatch_uid=f"cms-content-del-{model.__name__}")
        # The lead store keeps industry slugs and asks for their names (leads.industries); cms owns them.
        from leads.industries import industry_names_forget
        from leads.signals import industry_names_requested

        industry_names_requested.connect(industry_names, dispatch_uid="cms-industry-names")
        post_save.connect(
            lambda **kwargs: industry_names_forget(),
            sender=Industry,
            weak=False,
            dispatch_uid="cms-industry-names-saved",
        )
        post_delete.connect(
            lambda **kwargs: industry_names_forget(),
            sender=Industry,
            weak=False,
            dispatch_uid="cms-industry-names-deleted",
        )


def industry_names(sender, **kwargs) -> dict[str, str]:
    from cms.models import Industry

    return dict(Industry.objects.values_list("slug", "name"))
