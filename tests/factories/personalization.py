import factory
from factory.django import DjangoModelFactory

from personalization.models import Segment, SegmentRule


class SegmentFactory(DjangoModelFactory):
    """A segment; rules=[("utm_campaign", "is", "banking-q4"), ("device", "is", "mobile", True)] (last: negate)."""

    name = factory.Sequence(lambda n: f"Segment {n}")
    priority = 0
    match = "all"

    class Meta:
        model = Segment
        skip_postgeneration_save = True

    @factory.post_generation
    def rules(self, create, extracted, **kwargs):
        for number, rule in enumerate(extracted or []):
            fact, operator, value, *negate = rule
            SegmentRule.objects.create(
                segment=self,
                fact=fact,
                operator=operator,
                value=value,
                negate=bool(negate and negate[0]),
                sort_order=number,
            )
        if extracted:
            self.save()  # rules change the segment's version
