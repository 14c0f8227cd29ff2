from django.contrib.auth import views as auth_views
from django.urls import path, re_path, register_converter

from jieban.inputs import is_id
from jieban.web import (
    calendar_views,
    home_views,
    notification_views,
    ops_views,
    track_views,
)
from jieban.web.community import appointments, buildings, gridmap
from jieban.web.community import reports as phone_reports
from jieban.web.exchange import imports as ticket_imports
from jieban.web.exchange import platforms as exchange_platforms
from jieban.web.login import LoginForm
from jieban.web.mediation import agreements as mediation_agreements
from jieban.web.mediation import cases as mediation_cases
from jieban.web.mediation import handovers, studios
from jieban.web.open311 import views as open311
from jieban.web.stats import mediation as mediation_stats
from jieban.web.stats import page as stats_page
from jieban.web.stats import reports, workbooks
from jieban.web.suggestions import measures as suggestion_measures
from jieban.web.suggestions import rules as dispatch_rules
from jieban.web.supervision import campaign, follow_up, orders
from jieban.web.tickets import (
    actions,
    attachments,
    detail,
    lists,
    printout,
    registration,
    suggested_categories,
)

app_name = "web"


class IdConverter:
    """A database id in a path (`<id:pk>`): digits naming a positive 64-bit integer. Anything
    larger names nothing, a 404 like any id that is not there, never a number the database
    cannot compare."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not is_id(number):
            raise ValueError(value)  # the path does not match: a 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Public: residents follow their own case.
    path("track/", track_views.track, name="track"),
    # The operator's probes: a load balancer's health check, Prometheus's scrape (README,
    # "Operating: health, metrics and logs"); answered before the other middleware.
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("", home_views.home, name="home"),
    path("tickets/", lists.ticket_list, name="ticket_list"),
    # Before "tickets/<number>/": "new", "filters" and "export.xlsx" are not ticket numbers.
    path("tickets/new/", registration.ticket_new, name="ticket_new"),
    re_path(
        r"^tickets/new/recent/?$", registration.ticket_caller_recent, name="ticket_caller_recent"
    ),
    path(
        "tickets/new/categories",
        suggested_categories.ticket_suggested_categories,
        name="ticket_suggested_categories",
    ),
    re_path(r"^tickets/new/similar/?$", registration.ticket_similar, name="ticket_similar"),
    path("tickets/new/unit/", registration.ticket_unit_suggestion, name="ticket_unit_suggestion"),
    path("tickets/export.xlsx", lists.ticket_export, name="ticket_export"),
    path("tickets/filters/", lists.saved_filter_save, name="saved_filter_save"),
    path("tickets/filters/<id:pk>/delete/", lists.saved_filter_delete, name="saved_filter_delete"),
    path("tickets/<str:number>/", detail.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/print/", printout.ticket_print, name="ticket_print"),
    path(
        "tickets/<str:number>/similar/",
        detail.ticket_similar_reports,
        name="ticket_similar_reports",
    ),
    path("tickets/<str:number>/attachments/", attachments.ticket_attach, name="ticket_attach"),
    path("tickets/<str:number>/attachments/<id:pk>/", attachments.attachment, name="attachment"),
    # Before the transitions: these are not status changes.
    path("tickets/<str:number>/supervise/", actions.ticket_supervise, name="ticket_supervise"),
    path("tickets/<str:number>/visit/", follow_up.ticket_visit, name="ticket_visit"),
    path("tickets/<str:number>/repeat-of/", actions.ticket_repeat, name="ticket_repeat"),
    path("tickets/<str:number>/extension/", actions.ticket_extension, name="ticket_extension"),
    path(
        "tickets/<str:number>/extension/approve/",
        actions.ticket_extension_approve,
        name="ticket_extension_approve",
    ),
    path(
        "tickets/<str:number>/extension/reject/",
        actions.ticket_extension_reject,
        name="ticket_extension_reject",
    ),
    # Before "tickets/<str:number>/<slug:action>/": the hand-over is mediation's page.
    path("tickets/<str:number>/handover/", handovers.handover_new, name="handover_new"),
    path("tickets/<str:number>/progress/", actions.ticket_progress, name="ticket_progress"),
    path("tickets/<str:number>/<slug:action>/", actions.ticket_action, name="ticket_action"),
    path("inbox/", lists.inbox, name="inbox"),
    path("calendar/", calendar_views.calendar, name="calendar"),
    path("calendar/remove/", calendar_views.calendar_remove, name="calendar_remove"),
    path("calendar/<int:year>/", calendar_views.calendar, name="calendar_year"),
    path("supervision/", orders.supervision_board, name="supervision"),
    path(
        "supervision/<str:number>/print/",
        orders.supervision_print,
        name="supervision_print",
    ),
    path("follow-up/", follow_up.follow_up, name="follow_up"),
    path("campaign/", campaign.campaign, name="campaign"),
    re_path(r"^campaign/(?P<month>\d{4}-\d{2})/$", campaign.campaign, name="campaign_month"),
    re_path(
        r"^campaign/(?P<month>\d{4}-\d{2})/snapshot/$",
        campaign.campaign_snapshot,
        name="campaign_snapshot",
    ),
    re_path(
        r"^campaign/(?P<month>\d{4}-\d{2})/export\.xlsx$",
        campaign.campaign_export,
        name="campaign_export",
    ),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path("notifications/<id:pk>/", notification_views.notification_open, name="notification_open"),
    path("community/map/", gridmap.grid_map, name="grid_map"),
    path("community/map/shapes.json", gridmap.grid_map_shapes, name="grid_map_shapes"),
    path("buildings/", buildings.building_list, name="buildings"),
    path("buildings/new/", buildings.building_new, name="building_new"),
    path("buildings/<id:pk>/", buildings.building_edit, name="building_edit"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/new/", appointments.appointment_new, name="appointment_new"),
    path("appointments/mine/", appointments.my_appointments, name="my_appointments"),
    path("appointments/bulk/", appointments.appointment_bulk, name="appointment_bulk"),
    path("imports/", ticket_imports.import_index, name="ticket_imports"),
    path("imports/sources/new/", ticket_imports.import_source_new, name="import_source_new"),
    path("imports/sources/<slug:name>/", ticket_imports.import_source, name="import_source"),
    path("imports/<id:pk>/", ticket_imports.ticket_import, name="ticket_import"),
    path(
        "imports/<id:pk>/confirm/",
        ticket_imports.ticket_import_confirm,
        name="ticket_import_confirm",
    ),
    path(
        "appointments/bulk/template.xlsx",
        appointments.appointment_bulk_template,
        name="appointment_bulk_template",
    ),
    path("appointments/<id:pk>/", appointments.appointment_detail, name="appointment_detail"),
    path("appointments/<id:pk>/renew/", appointments.appointment_renew, name="appointment_renew"),
    path(
        "appointments/<id:pk>/revoke/",
        appointments.appointment_revoke,
        name="appointment_revoke",
    ),
    path("appointments/<id:pk>/print/", appointments.appointment_print, name="appointment_print"),
    path("quick-report/", phone_reports.report_new, name="phone_report_new"),
    path("quick-report/mine/", phone_reports.report_list, name="phone_reports"),
    path("exchange/", exchange_platforms.exchange, name="exchange"),
    path("dispatch-rules/", dispatch_rules.rule_list, name="dispatch_rules"),
    path("dispatch-rules/new/", dispatch_rules.rule_new, name="dispatch_rule_new"),
    path("dispatch-rules/<id:pk>/", dispatch_rules.rule_edit, name="dispatch_rule_edit"),
    path("dispatch-rules/<id:pk>/move/", dispatch_rules.rule_move, name="dispatch_rule_move"),
    path("dispatch-rules/<id:pk>/switch/", dispatch_rules.rule_switch, name="dispatch_rule_switch"),
    path("suggestions/", suggestion_measures.suggestion_measures, name="suggestion_measures"),
    path(
        "exchange/messages/<id:pk>/retry/",
        exchange_platforms.message_retry,
        name="exchange_message_retry",
    ),
    path(
        "exchange/apply-waiting/", exchange_platforms.apply_waiting, name="exchange_apply_waiting"
    ),
    path("studios/", studios.studio_index, name="studios"),
    path("studios/new/", studios.studio_new, name="studio_new"),
    path("studios/<id:pk>/", studios.studio_detail, name="studio"),
    path("studios/<id:pk>/mediators/", studios.studio_mediator_add, name="studio_mediator_add"),
    path("studios/<id:pk>/close/", studios.studio_close, name="studio_close"),
    path(
        "studios/<id:pk>/mediators/remove/",
        studios.studio_mediator_remove,
        name="studio_mediator_remove",
    ),
    path("mediation/", mediation_cases.case_list, name="mediation_cases"),
    # Before "mediation/<number>/": "new" is not a case number.
    path("mediation/new/", mediation_cases.case_new, name="mediation_new"),
    path("mediation/<str:number>/", mediation_cases.case_detail, name="mediation_case"),
    # Before "mediation/<number>/<action>/": the agreement has pages of its own.
    path(
        "mediation/<str:number>/agreement/",
        mediation_agreements.agreement_page,
        name="mediation_agreement",
    ),
    path(
        "mediation/<str:number>/agreement/print/",
        mediation_agreements.agreement_print,
        name="mediation_agreement_print",
    ),
    path(
        "mediation/<str:number>/agreement/scan/",
        mediation_agreements.agreement_scan,
        name="mediation_agreement_scan",
    ),
    path(
        "mediation/<str:number>/agreement/performance/",
        mediation_agreements.agreement_performance,
        name="mediation_agreement_performance",
    ),
    path(
        "mediation/<str:number>/agreement/visits/",
        mediation_agreements.agreement_visit,
        name="mediation_agreement_visit",
    ),
    path(
        "mediation/<str:number>/<slug:action>/",
        mediation_cases.case_action,
        name="mediation_action",
    ),
    path("handovers/", handovers.handover_list_page, name="handovers"),
    path("handovers/<id:pk>/", handovers.handover_detail, name="handover"),
    path("handovers/<id:pk>/print/", handovers.handover_print, name="handover_print"),
    path("handovers/<id:pk>/<slug:action>/", handovers.handover_answer, name="handover_answer"),
    # Open311 GeoReport v2 (README, "Open311 GeoReport v2"): each resource in XML or JSON.
    re_path(
        r"^open311/v2/services\.(?P<response_format>json|xml)$",
        open311.services,
        name="open311_services",
    ),
    re_path(
        r"^open311/v2/services/(?P<service_code>[^/]+)\.(?P<response_format>json|xml)$",
        open311.service_definition,
        name="open311_service",
    ),
    re_path(
        r"^open311/v2/requests\.(?P<response_format>json|xml)$",
        open311.service_requests,
        name="open311_requests",
    ),
    re_path(
        r"^open311/v2/requests/(?P<service_request_id>[^/]+)\.(?P<response_format>json|xml)$",
        open311.service_request,
        name="open311_request",
    ),
    path("stats/", stats_page.stats, name="stats"),
    path("stats/mediation/", mediation_stats.mediation_stats, name="mediation_stats"),
    path("reports/", reports.report_list, name="reports"),
    # Before "reports/<kind>/<period>/": the mediation report has its own page and workbook.
    path(
        "reports/mediation/<str:period>/",
        mediation_stats.mediation_report,
        name="mediation_report",
    ),
    path(
        "reports/mediation/<str:period>/publish/",
        mediation_stats.mediation_report_publish,
        name="mediation_report_publish",
    ),
    path(
        "reports/mediation/<str:period>/export.xlsx",
        mediation_stats.mediation_report_export,
        name="mediation_report_export",
    ),
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
