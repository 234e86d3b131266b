from django.urls import path

from . import views

urlpatterns = [
    path("tickets/<str:token>/", views.ticket, name="event_ticket"),
    path("cancel/<str:token>/", views.cancel, name="event_cancel"),
    path("<int:event_id>/calendar.ics", views.calendar_file, name="event_calendar"),
    path("<int:event_id>/watch/", views.watch, name="event_watch"),
]
