from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from jieban.web import (
    campaign_views,
    follow_up_views,
    home_views,
    notification_views,
    supervision_views,
    views,
)
from jieban.web.stats import page as stats_page
from jieban.web.stats import reports, workbooks

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
    path("", home_views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    # Before "tickets/<number>/": "new", "filters" and "export.xlsx" are not ticket numbers.
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    re_path(r"^tickets/new/recent/?$", views.ticket_caller_recent, name="ticket_caller_recent"),
    path("tickets/export.xlsx", views.ticket_export, name="ticket_export"),
    path("tickets/filters/", views.saved_filter_save, name="saved_filter_save"),
    path("tickets/filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/print/", views.ticket_print, name="ticket_print"),
    path("tickets/<str:number>/attachments/", views.ticket_attach, name="ticket_attach"),
    path("tickets/<str:number>/attachments/<int:pk>/", views.attachment, name="attachment"),
    # Before the transitions: these are not status changes.
    path("tickets/<str:number>/supervise/", views.ticket_supervise, name="ticket_supervise"),
    path("tickets/<str:number>/visit/", follow_up_views.ticket_visit, name="ticket_visit"),
    path("tickets/<str:number>/repeat-of/", views.ticket_repeat, name="ticket_repeat"),
    path("tickets/<str:number>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("inbox/", views.inbox, name="inbox"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/remove/", views.calendar_remove, name="calendar_remove"),
    path("calendar/<int:year>/", views.calendar, name="calendar_year"),
    path("supervision/", supervision_views.supervision_board, name="supervision"),
    path(
        "supervision/<str:number>/print/",
        supervision_views.supervision_print,
        name="supervision_print",
    ),
    path("follow-up/", follow_up_views.follow_up, name="follow_up"),
    path("campaign/", campaign_views.campaign, name="campaign"),
    re_path(r"^campaign/(?P<month>\d{4}-\d{2})/$", campaign_views.campaign, name="campaign_month"),
    re_path(
        r"^campaign/(?P<month>\d{4}-\d{2})/snapshot/$",
        campaign_views.campaign_snapshot,
        name="campaign_snapshot",
    ),
    re_path(
        r"^campaign/(?P<month>\d{4}-\d{2})/export\.xlsx$",
        campaign_views.campaign_export,
        name="campaign_export",
    ),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification_open"),
    path("stats/", stats_page.stats, name="stats"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/<slug:kind>/<str:period>/", reports.report, name="report"),
    path(
        "reports/<slug:kind>/<str:period>/publish/",
        reports.report_publish,
        name="report_publish",
    ),
    path(
        "reports/<slug:kind>/<str:period>/export.xlsx",
        workbooks.report_export,
        name="report_export",
    ),
]
