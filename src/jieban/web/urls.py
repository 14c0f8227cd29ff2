from django.contrib.auth import views as auth_views
from django.urls import path

from jieban.web import views

app_name = "web"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    # Before "tickets/<number>/": "new" is not a ticket number.
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/attachments/", views.ticket_attach, name="ticket_attach"),
    path("tickets/<str:number>/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("tickets/<str:number>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("inbox/", views.inbox, name="inbox"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/remove/", views.calendar_remove, name="calendar_remove"),
    path("calendar/<int:year>/", views.calendar, name="calendar_year"),
]
