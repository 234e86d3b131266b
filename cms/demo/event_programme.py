"""The demo's events themselves, made by DemoEventLoader (cms.demo.events): each event with its
landing-page text, venue or stream, capacity, speakers, topics and sessions, at times relative to
the moment of loading (see DemoEventLoader.at). Which of them are made, and their registrations
(cms.demo.event_registrations), are the loader's business."""

from datetime import timedelta

from events.models import Event, EventSession

# The stream of a webinar (shown to registrants) and the past webinar's recording: the demo's product video.
STREAM_URL = RECORDING_URL = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"


class DemoEventProgramme:
    """The events part of DemoEventLoader, which provides `speakers` (by name, cms.demo.event_speakers)
    and `at` (a wall-clock time in an event's zone)."""

    # --- events ---
    def event(self, *, speakers=(), topics=(), sessions=(), **fields) -> Event:
        event = Event(**fields)
        event.full_clean()  # a mistake in the demo's own data fails here, loudly
        event.save()
        event.speakers.set([self.speakers[name] for name in speakers])
        if topics:
            event.topics.add(*topics)
        event.save()
        for order, (title, start, minutes, track, room, names, description) in enumerate(sessions):
            session = EventSession(
                event=event,
                sort_order=order,
                title=title,
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                track=track,
                room=room,
                description=description,
            )
            session.full_clean()
            session.save()
            session.speakers.set([self.speakers[name] for name in names])
            session.speakers.commit()  # a plain model: modelcluster defers the set until told
        return event

    def webinar(self) -> Event:
        start = self.at(14, 16, zone="Europe/Berlin")
        return self.event(
            title="Pipeline forecasting with AI",
            type=Event.Type.WEBINAR,
            time_zone="Europe/Berlin",
            summary="How revenue teams forecast pipeline with machine learning they can explain to the board, "
            "in 45 minutes plus questions.",
            description="<p>Spreadsheets and gut feeling still drive most pipeline forecasts. Priya Raman shares "
            "what our research found in 400 revenue teams' forecasts, and Devon Park shows the model "
            "Brightline's team reviews every Monday.</p><ul><li>Which signals predict a deal closing</li>"
            "<li>Explaining a forecast to sales and finance</li><li>Starting small: a first model in a week</li></ul>",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            online_url=STREAM_URL,
            stream_preview_seconds=60,
            reminders="24h, 1h",
            speakers=["Priya Raman", "Devon Park"],
            topics=["AI & automation", "Revenue operations"],
        )

    def meetup(self) -> Event:
        start = self.at(21, 18, 30, zone="Europe/Berlin")
        return self.event(
            title="RevOps Meetup Berlin",
            type=Event.Type.IN_PERSON,
            time_zone="Europe/Berlin",
            summary="An evening of two short talks and plenty of time to talk shop with revenue operations "
            "people from Berlin.",
            description="<p>Two 20-minute talks from practitioners, then drinks and food. Places are limited "
            "and confirmed by our team, so that the room is a mix of companies and roles.</p>",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue_name="Factory Görlitzer Park",
            address="Lohmühlenstraße 65, 12435 Berlin",
            city="Berlin",
            country="DE",
            capacity=40,
            requires_approval=True,
            registration_deadline=start - timedelta(days=2),
            speakers=["Tomás Ortega", "Anja Novak"],
            topics=["Revenue operations"],
            sessions=[
                ("Doors open", start, 30, "", "", [], "Drinks and name badges."),
                (
                    "Territories in an afternoon, not a quarter",
                    start + timedelta(minutes=30),
                    25,
                    "",
                    "",
                    ["Anja Novak"],
                    "How Kestrel reorganised 300 distributors without a spreadsheet.",
                ),
                (
                    "What rejected MQLs tell you",
                    start + timedelta(minutes=60),
                    25,
                    "",
                    "",
                    ["Tomás Ortega"],
                    "Reading sales feedback to fix scoring.",
                ),
                ("Food and conversation", start + timedelta(minutes=90), 90, "", "", [], ""),
            ],
        )

    def workshop(self) -> Event:
        start = self.at(10, 10, zone="Europe/Lisbon")
        return self.event(
            title="Lead scoring workshop: build your first model",
            type=Event.Type.IN_PERSON,
            time_zone="Europe/Lisbon",
            summary="A hands-on morning for five people: bring a laptop and leave with fit and interest rules "
            "for your own funnel.",
            description="<p>Tomás Ortega walks a small group through designing fit and interest scoring with "
            "sales, testing it on last quarter's leads and explaining every score. Five seats, so everyone "
            "works on their own funnel.</p>",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue_name="Northwind Signal Lisbon office",
            address="Rua Example 12, 1200-000 Lisboa",
            city="Lisbon",
            country="PT",
            capacity=5,
            speakers=["Tomás Ortega"],
            topics=["Revenue operations", "AI & automation"],
        )

    def conference(self) -> Event:
        start = self.at(42, 9, zone="Europe/Amsterdam")
        main, workshop = "Main stage", "Workshop room"
        hall, room = "Grote Zaal", "Keurzaal (1st floor)"

        def t(hour, minute=0):
            return start.replace(hour=hour, minute=minute)

        return self.event(
            title=f"Revenue Summit {start.year}",
            type=Event.Type.CONFERENCE,
            time_zone="Europe/Amsterdam",
            summary="A day of talks and hands-on workshops for marketing, sales and RevOps leaders: forecasting, "
            "scoring, consent and routing from the teams doing it.",
            description="<p>The Revenue Summit brings 300 revenue leaders together for one day in Amsterdam. The "
            "main stage has customer stories and research; the workshop room has small hands-on sessions "
            "(first come, first seated on the day).</p>",
            starts_at=start,
            ends_at=t(17, 30),
            venue_name="Beurs van Berlage",
            address="Damrak 243, 1012 ZJ Amsterdam",
            city="Amsterdam",
            country="NL",
            capacity=300,
            reminders="7d, 24h",
            speakers=["Priya Raman"],
            topics=["Revenue operations", "AI & automation", "Data governance"],
            sessions=[
                (
                    "Keynote: the state of revenue operations",
                    t(9, 30),
                    45,
                    main,
                    hall,
                    ["Priya Raman"],
                    "What changed in 400 revenue teams this year, and what the best ones do next.",
                ),
                (
                    "One list of who to call: Meridian Bank's story",
                    t(10, 30),
                    45,
                    main,
                    hall,
                    ["Laura Chen"],
                    "From two days to 40 minutes to first response, with compliance on board.",
                ),
                (
                    "Explainable scoring sales actually trusts",
                    t(11, 30),
                    45,
                    main,
                    hall,
                    ["Devon Park"],
                    "Why Brightline's reps stopped ignoring the score.",
                ),
                (
                    "Consent that scales across twelve channels",
                    t(13, 30),
                    45,
                    main,
                    hall,
                    ["Rachel Okafor"],
                    "Recording consent once and respecting it everywhere.",
                ),
                (
                    "Panel: forecasting you can explain to the board",
                    t(14, 30),
                    60,
                    main,
                    hall,
                    ["Priya Raman", "Laura Chen", "Devon Park"],
                    "",
                ),
                (
                    "Hands-on: routing rules for territories",
                    t(10, 30),
                    90,
                    workshop,
                    room,
                    ["Anja Novak"],
                    "Build round-robin and territory routing for a sample team. Bring a laptop.",
                ),
                (
                    "Hands-on: a forecast model in an afternoon",
                    t(13, 30),
                    120,
                    workshop,
                    room,
                    ["Tomás Ortega"],
                    "From last quarter's pipeline to a first, explainable forecast.",
                ),
                ("Closing remarks and drinks", t(16, 0), 90, main, hall, ["Priya Raman"], ""),
            ],
        )

    def roundtable(self) -> Event:
        start = self.at(25, 17, zone="Europe/Berlin")
        return self.event(
            title="Banking data roundtable Frankfurt",
            type=Event.Type.IN_PERSON,
            time_zone="Europe/Berlin",
            summary="An evening roundtable for banking data and growth leaders. Cancelled: the discussion moves "
            "to the Revenue Summit's main stage.",
            starts_at=start,
            ends_at=start + timedelta(hours=2, minutes=30),
            venue_name="Main Tower, 54th floor",
            address="Neue Mainzer Straße 52, 60311 Frankfurt am Main",
            city="Frankfurt",
            country="DE",
            capacity=20,
            speakers=["Laura Chen", "Rachel Okafor"],
            topics=["Data governance", "Security & compliance"],
        )

    def past_webinar(self) -> Event:
        start = self.at(-30, 16, zone="Europe/Berlin")
        return self.event(
            title="Speed to lead: what the fastest teams do differently",
            type=Event.Type.WEBINAR,
            status=Event.Status.FINISHED,
            time_zone="Europe/Berlin",
            summary="Why the first five minutes decide most inbound deals, and how three teams got there.",
            description="<p>Tomás Ortega and Laura Chen on routing, response times and the handover from "
            "marketing to sales. Missed it? The recording is below.</p>",
            starts_at=start,
            ends_at=start + timedelta(minutes=45),
            online_url=STREAM_URL,
            recording_url=RECORDING_URL,
            reminders="24h, 1h",
            speakers=["Tomás Ortega", "Laura Chen"],
            topics=["Revenue operations", "Customer experience"],
        )

    def past_meetup(self) -> Event:
        start = self.at(-60, 18, 30, zone="Europe/Berlin")
        return self.event(
            title="RevOps Meetup Munich",
            type=Event.Type.IN_PERSON,
            status=Event.Status.FINISHED,
            time_zone="Europe/Berlin",
            summary="Talks about territory design and consent, then an evening with Munich's revenue operations "
            "community.",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue_name="WERK1",
            address="Atelierstraße 29, 81671 München",
            city="Munich",
            country="DE",
            capacity=50,
            speakers=["Anja Novak", "Rachel Okafor"],
            topics=["Revenue operations", "Data governance"],
        )
