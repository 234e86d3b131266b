"""Marketing consent: a policy per country, and a record of every decision a visitor made."""

from django.core.exceptions import ValidationError
from django.db import models

from core.models import Record

EVERYWHERE_ELSE = "*"


class ConsentPolicy(models.Model):
    """How the marketing opt-in works for visitors from one country ("*": everywhere else)."""

    country = models.CharField(
        max_length=2,
        unique=True,
        help_text='Two-letter country code (ISO 3166), e.g. DE; "*" for every country without its own row',
    )
    show_checkbox = models.BooleanField(default=True, help_text="Show the opt-in checkbox (never pre-ticked)")
    opt_in_required = models.BooleanField(
        default=True,
        help_text="Marketing only with a ticked box (GDPR, UK GDPR). Untick for countries where a notice is "
        "enough: the visitor is then counted as consenting unless they untick a shown box.",
    )
    double_opt_in = models.BooleanField(
        default=False,
        help_text="Consent counts only once the person clicks the link in a confirmation email (double opt-in: "
        "the accepted proof of consent in Germany, Austria and Switzerland). Until then they get no marketing email.",
    )
    text = models.TextField(
        help_text="The checkbox label, or the notice shown when there is no checkbox. Stored with every decision."
    )
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Goes up whenever the text changes")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country"]
        verbose_name_plural = "consent policies"

    def __str__(self):
        return "Everywhere else" if self.country == EVERYWHERE_ELSE else self.country

    def save(self, *args, **kwargs):
        if self.pk:
            previous = ConsentPolicy.objects.filter(pk=self.pk).values_list("text", "version").first()
            if previous and previous[0] != self.text:
                self.version = previous[1] + 1
        super().save(*args, **kwargs)

    def clean(self):
        self.country = (self.country or "").strip().upper()
        if self.country != EVERYWHERE_ELSE and not (len(self.country) == 2 and self.country.isalpha()):
            raise ValidationError({"country": 'Use a two-letter country code such as DE, or "*".'})
        if not self.text.strip():
            raise ValidationError({"text": "The consent text cannot be empty."})


class ConsentRecord(Record):
    """One consent decision, exactly as the visitor saw it. Never edited; a new decision is a new row.

    Under a double-opt-in policy a granted decision is stored as "awaiting confirmation"; the click on the
    emailed link adds a second row (same wording, channel "email", "confirmed by double opt-in link") that
    points at the first through `confirms`: the ledger then shows the wording, when it was given, when and
    how it was confirmed."""

    class Confirmation(models.TextChoices):
        NOT_REQUIRED = "not_required", "Not required"
        AWAITING = "awaiting", "Awaiting confirmation (double opt-in)"
        DOUBLE_OPT_IN = "double_opt_in", "Confirmed by double opt-in link"

    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.CharField(max_length=254, blank=True, db_index=True)
    visitor_id = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="The visitor's country as we determined it")
    policy_country = models.CharField(max_length=2, help_text="The policy row applied")
    checkbox_shown = models.BooleanField()
    granted = models.BooleanField(
        help_text="Whether the person agreed to marketing (under double opt-in it counts once confirmed)"
    )
    text = models.TextField(help_text="The exact text shown")
    version = models.PositiveIntegerField()
    form_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    form_title = models.CharField(max_length=255, blank=True)
    channel = models.CharField(max_length=20, default="web", help_text="web, api, import or email")
    confirmation = models.CharField(
        max_length=20,
        choices=Confirmation.choices,
        default=Confirmation.NOT_REQUIRED,
        help_text="Whether this decision needed a confirmation, and how it was given",
    )
    confirms = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="confirmed_by",
        help_text="The decision awaiting confirmation that this row confirms",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    recorded_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        decision = "granted" if self.granted else "not given"
        if self.confirmation == self.Confirmation.AWAITING:
            decision = "awaiting confirmation"
        return f"{self.email or self.visitor_id}: {decision} ({self.recorded_at:%Y-%m-%d})"
