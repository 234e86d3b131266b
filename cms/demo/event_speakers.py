"""The demo events' speakers: six reusable speakers (Northwind Signal's own experts and customers)
with generated portrait placeholders, made by DemoEventLoader (cms.demo.events). A speaker is created
only when no speaker has its name, so an editor's speakers and changes are left alone."""

import io

from django.core.files.images import ImageFile
from django.utils.text import slugify

from cms.demo.media import abstract_image
from events.models import Speaker

SPEAKERS = [
    # name, job title, company, bio
    (
        "Priya Raman",
        "VP Research",
        "Northwind Signal",
        "Priya leads Northwind Signal's research team and writes the annual State of RevOps report. Before "
        "Northwind she built forecasting models for a European payments company.",
    ),
    (
        "Tomás Ortega",
        "Principal Analyst, Revenue Operations",
        "Northwind Signal",
        "Tomás helps revenue teams design scoring and routing that sales actually trusts. He has run RevOps "
        "at two scale-ups and still reads every rejected MQL.",
    ),
    (
        "Laura Chen",
        "Head of Commercial Banking Growth",
        "Meridian Bank",
        "Laura runs growth for Meridian Bank's commercial banking arm, where her team cut lead response time "
        "from two days to 40 minutes without a single compliance finding.",
    ),
    (
        "Devon Park",
        "Head of Demand Generation",
        "Brightline Software",
        "Devon doubled Brightline's demo bookings with explainable lead scoring. He writes about demand "
        "generation for small teams with big targets.",
    ),
    (
        "Anja Novak",
        "Director of Channel Sales",
        "Kestrel Manufacturing",
        "Anja moved 300 Kestrel distributors from spreadsheets to a shared pipeline and now changes "
        "territories in an afternoon instead of a quarter.",
    ),
    (
        "Rachel Okafor",
        "Chief Data Officer",
        "Northgate Insurance",
        "Rachel is responsible for data and consent across Northgate's twelve broker channels. She speaks "
        "about governance that speeds sales up rather than slowing it down.",
    ),
]


class DemoSpeakers:
    """The speakers part of DemoEventLoader, which provides `report` and `Image`."""

    # --- speakers ---
    def speakers_load(self) -> dict[str, Speaker]:
        result = {}
        for name, job_title, company, bio in SPEAKERS:
            speaker = Speaker.objects.filter(name=name).first()
            if speaker is None:
                speaker = Speaker.objects.create(
                    name=name, job_title=job_title, company=company, bio=bio, photo=self.photo(name)
                )
                self.report.add(f"speaker {name}")
            result[name] = speaker
        return result

    def photo(self, name: str):
        """A generated square portrait placeholder with the speaker's initials (reused when it exists)."""
        title = f"Speaker photo: {name}"
        existing = self.Image.objects.filter(title=title).first()
        if existing:
            return existing
        initials = "".join(part[0] for part in name.split()[:2])
        data = abstract_image(title, width=480, height=480, label=initials)
        image = self.Image(
            title=title,
            description=f"Portrait placeholder for {name}",
            file=ImageFile(io.BytesIO(data), name=f"demo-speaker-{slugify(name)}.jpg"),
        )
        image.save()
        self.report.add(f"image {title}")
        return image
