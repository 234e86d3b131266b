"""Admin views of events, one module per part of the Events menu:

- events: the events listing (upcoming first, a card per event on a phone) and editor;
- registrations: the registrations listing (the approval queue is it, filtered) and editor;
- bulk: the bulk actions (landing pages; approve, reject, cancel registrations);
- door: check-in at the door (search, ticket scan, walk-ins);
- register: "Register someone" (sales for a customer) and the personal invite link;
- common: what they share (URLs, how people and times are shown, the per-event screens' base).

Thin: they read the request, call events.services / events.selectors and render. Who may do what
(events.permissions):
- the door needs "Can check people in at the door" (events.check_in_registration, on Event);
- "Register someone" needs "Can add registration" (events.add_registration): the sales roles have it.
  The generic "add" form for registrations stays off (see EditOnlyPolicy);
- approve, reject and cancel need "Can change registration";
- door staff and salespeople see the published events in the listing (EventPermissionPolicy).
Emails of registrants are masked for anybody without leads.view_personal_data, as in the other listings.
"""
