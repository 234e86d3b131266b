"""Campaign email rendered for a person: subject, preheader, HTML (inlined CSS) and a text part.

    render_message(campaign, person=person)                       # a preview: plain links
    render_message(campaign, person=person, recipient=recipient)  # what is sent: tracked links
    renderer = CampaignRenderer(campaign); renderer.prepare(people); renderer.render(person, recipient=r)

Headers are the sender's business (List-Unsubscribe etc.); rendering makes the message's content.
"""

from .compiled import CampaignRenderer, RenderedEmail
from .links import campaign_links_collect

__all__ = ["CampaignRenderer", "RenderedEmail", "campaign_links_collect", "render_message", "sample_person"]


def render_message(campaign, *, person, recipient=None, variant: int = 0) -> RenderedEmail:
    """One message for one person. With `recipient` (a CampaignRecipient), links are signed click links
    to the campaign's numbered links (collected first if they were not), with an open pixel and a
    trap link; without, links go straight where they point (previews, test sends)."""
    return CampaignRenderer(campaign).render(person, recipient=recipient, variant=variant)


def sample_person():
    """Who a preview is rendered for: the first real person with a first name, else Alex Example."""
    from leads.models import Person

    person = (
        Person.objects.filter(is_test=False)
        .exclude(first_name="")
        .select_related("company", "owner")
        .order_by("pk")
        .first()
    )
    return person or Person(first_name="Alex", last_name="Example", email="alex@example.com", job_title="Data lead")
