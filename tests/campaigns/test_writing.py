"""Writing campaign email: blocks, merge fields, rendering per person (campaigns.rendering, merge_fields)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.models import CampaignLink
from campaigns.rendering import CampaignRenderer, campaign_links_collect, render_message
from campaigns.signing import value_from_token
from leads.models import Interaction
from tests.factories.campaigns import CampaignFactory, CampaignRecipientFactory
from tests.factories.leads import PersonFactory
from tests.factories.pages import StandardPageFactory
from tests.factories.personalization import SegmentFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def _site_base_url(settings):
    settings.SITE_BASE_URL = "http://testserver"  # the test site's host (Site "testserver")


def hrefs(html: str) -> list[str]:
    return [value.replace("&amp;", "&") for value in re.findall(r'<a\b[^>]*?href="([^"]*)"', html)]


def body(*blocks):
    return list(blocks)


def heading(text, size="h2"):
    return {"type": "heading", "value": {"text": text, "size": size}}


def button(label, url="", page=None):
    return {"type": "button", "value": {"label": label, "page": page, "url": url}}


def text(html):
    return {"type": "text", "value": html}


# --- Merge fields ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("subject", "Hi {{ frist_name|there }}", "Subject"),
        ("preheader", "For {{ company_size }}", "Preheader"),
        ("subject", "Hi {{ first_name", "Subject"),
        ("subject", "Hi {{ }}", "Subject"),
    ],
)
def test_an_unknown_or_broken_merge_field_in_subject_or_preheader_is_refused_naming_it(field, value, where):
    campaign = CampaignFactory.build(**{field: value})
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean(exclude=["topic", "ab_winner", "created_by"])
    messages = refused.value.message_dict[field]
    assert messages[0].startswith(where)
    if "frist" in value or "company_size" in value:
        assert ("frist_name" if "frist" in value else "company_size") in messages[0]


def test_an_unknown_merge_field_in_a_block_names_the_block_and_the_field():
    campaign = CampaignFactory(
        body=body(
            heading("Hello"),
            text("<p>Dear {{ first_name }}</p>"),
            button("Go {{ shoe_size|big }}", "https://x.example/"),
        )
    )
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean(exclude=["topic", "ab_winner", "created_by"])
    [message] = refused.value.message_dict["body"]
    assert "Block 3" in message and "button label" in message and "shoe_size" in message


def test_known_merge_fields_with_fallbacks_pass_and_render_with_the_fallback_when_empty():
    campaign = CampaignFactory(subject="Hi {{ first_name|there }}", body=body(heading("For {{ company|your team }}")))
    campaign.full_clean(exclude=["topic", "ab_winner", "created_by"])
    person = PersonFactory(first_name="", company=None)
    rendered = render_message(campaign, person=person)
    assert rendered.subject == "Hi there"
    assert "For your team" in rendered.html and "For your team" in rendered.text


def test_hostile_names_are_escaped_in_html_and_cut_when_huge():
    campaign = CampaignFactory(
        subject="Hi {{ first_name }}",
        preheader="{{ last_name }}",
        body=body(heading("Hello {{ first_name }}"), text("<p>{{ last_name }}</p>")),
    )
    # Built, not saved: the database refuses 10 KB names, but an import or a merge should never reach
    # the email with one either way.
    person = PersonFactory.build(first_name=HOSTILE, last_name="=cmd|' /C calc'!A0" + "x" * 10_000)
    rendered = render_message(campaign, person=person)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in rendered.html
    assert "x" * 200 not in rendered.html and "…" in rendered.html
    assert rendered.subject == f"Hi {HOSTILE}"  # a header is text, not HTML
    assert "\n" not in rendered.subject


def test_a_fallback_with_an_ampersand_is_escaped_once():
    campaign = CampaignFactory(body=body(heading("Hi {{ first_name|Tom & Jerry }}")))
    rendered = render_message(campaign, person=PersonFactory(first_name=""))
    assert "Hi Tom &amp; Jerry" in rendered.html and "&amp;amp;" not in rendered.html
    assert "Hi Tom & Jerry" in rendered.text


# --- Links, UTM, tracking -----------------------------------------------------------------------------
@pytest.fixture
def own_page(home_page):
    return StandardPageFactory(parent=home_page, title="Pricing")


def test_own_links_get_utm_and_foreign_ones_none(own_page, settings):
    settings.SITE_BASE_URL = "http://testserver"
    campaign = CampaignFactory(
        name="Spring nurture",
        body=body(
            button("Ours", page=own_page.pk),
            text(
                '<p><a href="https://elsewhere.example/x?a=1">theirs</a> and '
                '<a href="http://testserver/a/?utm_source=old">ours too</a></p>'
            ),
        ),
    )
    rendered = render_message(campaign, person=PersonFactory())
    links = [link for link in hrefs(rendered.html) if link != "http://testserver/"]  # not the footer
    ours = [link for link in links if urlsplit(link).hostname == "testserver"]
    theirs = [link for link in links if urlsplit(link).hostname == "elsewhere.example"]
    assert theirs == ["https://elsewhere.example/x?a=1"]
    assert len(ours) == 2
    first = parse_qs(urlsplit(ours[0]).query)
    assert urlsplit(ours[0]).path == own_page.url
    assert first == {
        "utm_source": ["newsletter"],
        "utm_medium": ["email"],
        "utm_campaign": ["spring-nurture"],
        "utm_content": ["block-1"],
    }
    second = parse_qs(urlsplit(ours[1]).query)
    assert second["utm_source"] == ["newsletter"] and second["utm_content"] == ["block-2"]  # old UTM replaced
    assert "https://elsewhere.example/x?a=1" in rendered.text


def test_javascript_links_are_never_followed():
    campaign = CampaignFactory(body=body(text('<p><a href="javascript:alert(1)">x</a></p>')))
    rendered = render_message(campaign, person=PersonFactory())
    assert "javascript:" not in rendered.html


def test_links_are_numbered_once_for_every_variant_and_the_trap_comes_last(home_page):
    segment = SegmentFactory(rules=[("person_country", "is", "FR")])
    campaign = CampaignFactory(
        body=body(
            button("A", "https://a.example/"),
            {
                "type": "personalised",
                "value": {
                    "variants": [{"segment": segment.pk, "content": [button("B", "https://b.example/")]}],
                    "default": [button("C", "https://c.example/")],
                },
            },
            button("A again", "https://a.example/"),
        )
    )
    links = campaign_links_collect(campaign)
    assert [(link.position, link.url, link.is_trap) for link in links] == [
        (1, "https://a.example/", False),
        (2, "https://b.example/", False),
        (3, "https://c.example/", False),
        (4, "http://testserver/", True),
    ]
    assert links[0].label == "A"
    again = campaign_links_collect(campaign)
    assert [(link.pk, link.position, link.url) for link in again] == [
        (link.pk, link.position, link.url) for link in links
    ]
    assert CampaignLink.objects.filter(campaign=campaign).count() == 4


def test_a_recipient_gets_click_links_only_for_collected_links_a_pixel_and_a_hidden_trap(home_page):
    campaign = CampaignFactory(body=body(button("A", "https://a.example/"), button("B", "https://b.example/")))
    links = campaign_links_collect(campaign)
    recipient = CampaignRecipientFactory(campaign=campaign)
    # A link added after the links were collected gets no click link: it goes straight where it points.
    campaign.body = body(button("A", "https://a.example/"), button("New", "https://new.example/"))
    campaign.save()
    rendered = render_message(campaign, person=recipient.person, recipient=recipient)
    found = hrefs(rendered.html)
    click_prefix = "http://testserver" + reverse("campaigns:click", args=["T"])[:-2]
    clicks = [href for href in found if href.startswith(click_prefix)]
    values = {value_from_token(href[len(click_prefix) :].rstrip("/"), "click") for href in clicks}
    trap = next(link for link in links if link.is_trap)
    assert values == {f"{recipient.pk}-1", f"{recipient.pk}-{trap.position}"}
    assert "https://new.example/" in found and "https://a.example/" not in found
    # The trap: an <a> nobody sees and screen readers skip.
    trap_tag = re.search(r'<a[^>]*aria-hidden="true"[^>]*>', rendered.html).group(0)
    assert 'tabindex="-1"' in trap_tag and "display:none" in trap_tag
    assert (
        value_from_token(re.search(r'href="[^"]*/c/([^"/]*)/"', trap_tag).group(1), "click")
        == f"{recipient.pk}-{trap.position}"
    )
    # The pixel and the footer's links are signed for this recipient.
    pixel = re.search(r'<img src="[^"]*/o/([^"/]*)/" width="1" height="1" alt=""', rendered.html)
    assert pixel and value_from_token(pixel.group(1), "open") == str(recipient.pk)
    unsubscribe = re.search(r'href="[^"]*/u/([^"/]*)/"[^>]*>Unsubscribe', rendered.html)
    assert unsubscribe and value_from_token(unsubscribe.group(1), "unsubscribe") == str(recipient.pk)
    assert value_from_token(re.search(r"/p/([^/\s]*)/", rendered.text).group(1), "preferences") == str(recipient.pk)


def test_a_preview_has_no_tracking(home_page):
    campaign = CampaignFactory(body=body(button("A", "https://a.example/")))
    rendered = render_message(campaign, person=PersonFactory())
    assert (
        "/c/" not in rendered.html and "/o/" not in rendered.html and 'aria-hidden="true" tabindex' not in rendered.html
    )
    assert "https://a.example/" in hrefs(rendered.html)


# --- Layout, CSS, text part ---------------------------------------------------------------------------
def test_css_is_inlined_and_the_text_part_holds_every_block(home_page, settings):
    campaign = CampaignFactory(
        subject="News",
        preheader="Five ideas inside",
        body=body(
            heading("Big news", "h1"),
            text("<p>First <b>line</b></p><ul><li>one</li></ul>"),
            button("Read", "https://a.example/r"),
        ),
    )
    rendered = render_message(campaign, person=PersonFactory())
    assert re.search(r'<h1 class="h1" style="[^"]*font-size: ?28px', rendered.html)
    assert re.search(r'class="button-link"[^>]*style="[^"]*color: ?#ffffff', rendered.html) or re.search(
        r'style="[^"]*color: ?#ffffff[^"]*"[^>]*class="button-link"', rendered.html
    )
    assert "<script" not in rendered.html
    assert "Five ideas inside" in rendered.html and rendered.preheader == "Five ideas inside"
    assert rendered.text.startswith("Big news\n\nFirst line")
    assert "- one" in rendered.text and "Read: https://a.example/r" in rendered.text
    assert "Unsubscribe: " in rendered.text


def test_the_postal_address_setting_is_in_the_footer(home_page):
    from wagtail.models import Site

    from campaigns.models import CampaignSettings

    site = Site.objects.get(is_default_site=True)
    CampaignSettings.objects.update_or_create(site=site, defaults={"postal_address": "Northwind GmbH\nMain St 1 <b>"})
    rendered = render_message(CampaignFactory(), person=PersonFactory())
    assert "Northwind GmbH<br>Main St 1 &lt;b&gt;" in rendered.html
    assert "Main St 1 <b>" in rendered.text


def test_subject_variant_n_is_the_nth_ab_line(home_page):
    from campaigns.models import SubjectVariant

    campaign = CampaignFactory(subject="A for {{ first_name }}")
    SubjectVariant.objects.create(campaign=campaign, subject="B {{ company|friends }}", sort_order=0)
    SubjectVariant.objects.create(campaign=campaign, subject="C", sort_order=1)
    person = PersonFactory(first_name="Ann", company=None)
    assert [render_message(campaign, person=person, variant=n).subject for n in (0, 1, 2, 9)] == [
        "A for Ann",
        "B friends",
        "C",
        "A for Ann",
    ]


# --- Personalised and recommended blocks ----------------------------------------------------------------
def personalised(*variants, default="Everybody else"):
    return {
        "type": "personalised",
        "value": {
            "variants": [{"segment": segment.pk, "content": [heading(label)]} for segment, label in variants],
            "default": [heading(default)],
        },
    }


def test_the_personalised_block_shows_the_variant_of_the_persons_highest_priority_segment(home_page):
    french = SegmentFactory(rules=[("person_country", "is", "FR")], priority=1)
    graded = SegmentFactory(rules=[("grade", "is", "A1")], priority=5)
    campaign = CampaignFactory(body=body(personalised((french, "Bonjour"), (graded, "Top lead"))))
    in_france, top_in_france, elsewhere = (
        PersonFactory(country="FR"),
        PersonFactory(country="FR", grade="A1"),
        PersonFactory(country="DE"),
    )
    renderer = CampaignRenderer(campaign)
    renderer.prepare([in_france, top_in_france, elsewhere])
    shown = {p.pk: renderer.render(p).html for p in (in_france, top_in_france, elsewhere)}
    assert "Bonjour" in shown[in_france.pk] and "Top lead" not in shown[in_france.pk]
    assert "Top lead" in shown[top_in_france.pk] and "Bonjour" not in shown[top_in_france.pk]
    assert "Everybody else" in shown[elsewhere.pk] and "Bonjour" not in shown[elsewhere.pk]
    # A single render without a batch decides the same.
    assert "Bonjour" in render_message(campaign, person=in_france).text


def test_an_inactive_segment_matches_nobody(home_page):
    french = SegmentFactory(rules=[("person_country", "is", "FR")], is_active=False)
    campaign = CampaignFactory(body=body(personalised((french, "Bonjour"))))
    assert "Everybody else" in render_message(campaign, person=PersonFactory(country="FR")).html


def test_a_batch_decides_segments_in_one_query_per_segment(home_page, django_assert_max_num_queries):
    segments = [SegmentFactory(rules=[("person_country", "is", code)]) for code in ("FR", "DE")]
    campaign = CampaignFactory(body=body(personalised((segments[0], "FR"), (segments[1], "DE"))))
    people = [PersonFactory(country="FR") for _ in range(5)]
    renderer = CampaignRenderer(campaign)
    renderer.render(people[0])  # compiles the first kind
    renderer = CampaignRenderer(campaign)
    with django_assert_max_num_queries(4):  # the segments and their rules (2), one per segment (2)
        renderer.prepare(people)
    with django_assert_max_num_queries(0):
        for person in people:
            renderer.membership.is_member(segments[0].pk, person.pk)


def test_recommended_content_lists_given_pages_then_newest_unviewed(home_page):
    older, newer, newest = (StandardPageFactory(parent=home_page, title=t) for t in ("Older", "Newer", "Newest"))
    given = StandardPageFactory(parent=home_page, title="Given")
    person = PersonFactory()
    Interaction.objects.create(
        person=person, type="page_view", object_id=str(newest.pk), occurred_at="2026-01-01T00:00Z"
    )
    campaign = CampaignFactory(
        body=body({"type": "recommended", "value": {"heading": "For you", "pages": [given.pk], "count": 3}})
    )
    rendered = render_message(campaign, person=person)
    titles = re.findall(r'class="recommended-link"[^>]*>([^<]*)<', rendered.html)
    assert titles == ["Given", "Newer", "Older"]
    other = render_message(campaign, person=PersonFactory())
    assert re.findall(r'class="recommended-link"[^>]*>([^<]*)<', other.html) == ["Given", "Newest", "Newer"]
    assert "- Given: http://testserver/" in rendered.text
    # Every page it may show is numbered before sending, so a recipient's click link exists for it.
    urls = {link.url.split("?")[0] for link in campaign_links_collect(campaign)}
    assert {newest.full_url, newer.full_url, older.full_url, given.full_url} <= urls


def test_a_campaign_with_an_empty_body_still_renders(home_page):
    rendered = render_message(CampaignFactory(body=[]), person=PersonFactory())
    assert "Unsubscribe" in rendered.html and rendered.text
