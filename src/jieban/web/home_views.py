"""The home page, one for each kind of work: the command centre's desk, a unit's inbox and
month, the supervisor's orders, the leader's month. Every number links to the list behind it:
the counts use the ticket list's own filters (`jieban.stats.dashboards.ListCount`), and the
figures link their counts to the list of the same tickets and their rates to the statistics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jieban.community.models import Appointment, PhoneReport
from jieban.community.network import GridDesk, my_grids, my_letters
from jieban.community.reports import my_reports
from jieban.exchange.selectors import failing_count
from jieban.http import AuthenticatedRequest
from jieban.mediation.models import Handover, MediationCase
from jieban.mediation.selectors import Clock, forums_for, handover_list, my_open_cases
from jieban.org.models import CENTRE_ROLES, Role, Unit, User
from jieban.org.permissions import (
    can_manage_exchange,
    can_report_from_phone,
    can_supervise,
    has_inbox,
)
from jieban.stats import dashboards
from jieban.stats.dashboards import ListCount, Window
from jieban.stats.models import PublishedReport, ReportKind
from jieban.stats.rates import configured_rounding
from jieban.stats.reports import current_period
from jieban.tickets.extensions import pending_extensions
from jieban.tickets.models import Status, SupervisionLevel, Ticket
from jieban.tickets.selectors import TicketFilters, filter_tickets, inbox_counts, most_urgent
from jieban.web.forms import localized_name
from jieban.web.pages import ticket_list_url
from jieban.web.stats.charts import chart_height, group_chart, trend_chart
from jieban.web.stats.mediation import ranked_columns as mediation_ranked_columns
from jieban.web.stats.mediation import rankings as mediation_rankings
from jieban.web.stats.presenting import (
    Cell,
    FigureRow,
    FigureTable,
    GroupNames,
    figure_cells,
    list_links,
    stats_url,
    tile_links,
)
from jieban.web.stats.scoring import units_scored

CATEGORIES_SHOWN = 10
URGENT_SHOWN = 5
PENDING_SHOWN = 10
ESCALATED_SHOWN = 10
REPORTS_SHOWN = 5


@dataclass
class Tile:
    key: str
    label: str
    count: int
    href: str
    tone: str = ""


@dataclass
class FiguresBlock:
    testid: str
    title: str
    window: Window
    cells: list[Cell]
    stats_href: str
    report_href: str = ""
    published: bool | None = None


def listed(item: ListCount, label: str, *, href: str = "", tone: str = "") -> Tile:
    return Tile(item.key, label, item.count, href or ticket_list_url(item.filters), tone)


def figures_block(
    user: User, testid: str, title: str, window: Window, *, narrower: TicketFilters | None = None
) -> FiguresBlock:
    """The user's figures over `window`; their counts link to the lists of the same tickets
    (narrowed as the figures are), their rates to the statistics."""
    row = dashboards.overall(user, window).as_row()
    links = tile_links(window)
    if narrower is not None:
        links.update(list_links(window, narrower))
    return FiguresBlock(
        testid=testid,
        title=title,
        window=window,
        cells=figure_cells(row, links, rounding=configured_rounding()),
        stats_href=stats_url(window, period="day"),
    )


@login_required
@require_safe
def home(request: AuthenticatedRequest) -> HttpResponse:
    # Which desk is the person's kind of work (their role), not a permission; the unit's desk
    # is its inbox.
    user = request.user
    today = timezone.localdate()
    if user.role in CENTRE_ROLES:
        return centre_home(request, today)
    if user.role == Role.LEADER:
        return leader_home(request, today)
    if has_inbox(user):
        return unit_home(request, today)
    return basic_home(request)


@dataclass
class MediationDesk:
    """A mediator's open cases (their studios' and committee's), soonest deadline first."""

    cases: list[MediationCase]
    due_soon: int
    overdue: int
    may_open: bool
    # Hand-overs to the mediator's committee waiting for its answer, soonest deadline first.
    handovers: list[Handover]


def mediation_desk(user: User) -> MediationDesk:
    now = timezone.now()
    cases = my_open_cases(user)
    forums = forums_for(user)
    return MediationDesk(
        cases=cases,
        due_soon=sum(1 for case in cases if case.clock_at(now) == Clock.DUE_SOON),
        overdue=sum(1 for case in cases if case.clock_at(now) == Clock.OVERDUE),
        may_open=bool(forums.studios or forums.committees),
        handovers=list(handover_list(user, pending_only=True)),
    )


@dataclass
class NetworkDesk:
    """The community network's part of a home: a grid police chief's or grid officer's grids,
    a reporter's latest reports, and one's own appointment letters."""

    grids: list[GridDesk]
    reports: list[PhoneReport]
    letters: list[Appointment]
    may_report: bool

    def __bool__(self) -> bool:
        return bool(self.grids or self.reports or self.letters or self.may_report)


def network_desk(user: User) -> NetworkDesk:
    may_report = can_report_from_phone(user)
    return NetworkDesk(
        grids=my_grids(user),
        reports=my_reports(user, limit=REPORTS_SHOWN) if may_report else [],
        letters=my_letters(user),
        may_report=may_report,
    )


def centre_home(request: AuthenticatedRequest, today: dt.date) -> HttpResponse:
    """Today's work in hand, the last 30 days, categories, and units ranked."""
    user = request.user
    orders = supervisor_orders(user) if can_supervise(user) else None
    counts = dashboards.centre_counts(
        user, today=today, open_orders=orders.total if orders is not None else None
    )
    tiles = [
        listed(counts.received_today, _("Received today")),
        listed(counts.awaiting_dispatch, _("Awaiting dispatch")),
        listed(counts.dispatch_late, _("Late for dispatch"), tone="overdue"),
        listed(counts.due_soon, _("Due soon"), tone="due-soon"),
        listed(counts.overdue, _("Overdue"), tone="overdue"),
        listed(counts.escalated, _("With the leaders"), tone="escalated"),
        Tile(
            "open_orders",
            _("Open supervision orders"),
            counts.open_orders,
            reverse("web:supervision"),
        ),
        listed(counts.follow_up, _("Follow-up calls waiting"), href=reverse("web:follow_up")),
    ]
    window = dashboards.trend_window(today)
    rounding = configured_rounding()
    trend = [row.as_row() for row in dashboards.daily_trend(user, window)]
    # The trend has just rebuilt the window's dirty days.
    categories = [row.as_row() for row in dashboards.by_category(user, window, refresh=False)]
    units = [row.as_row() for row in dashboards.units_ranked(user, window, refresh=False)]
    names = GroupNames({"category": categories, "unit": units})
    category_table = FigureTable(
        "home-categories",
        _("Category"),
        [
            FigureRow(
                row["key"],
                names.label("category", row["key"], row["name"]),
                figure_cells(
                    row,
                    list_links(window, TicketFilters(category=row["key"])),
                    rounding=rounding,
                ),
            )
            for row in categories
        ],
    )
    shown = category_table.rows[:CATEGORIES_SHOWN]
    unit_table = FigureTable(
        "home-units",
        _("Unit"),
        [
            FigureRow(
                row["key"],
                names.label("unit", row["key"], row["name"]),
                figure_cells(
                    row, list_links(window, TicketFilters(unit=row["key"])), rounding=rounding
                ),
            )
            for row in units
        ],
    )
    context: dict[str, Any] = {
        "scores": units_scored(user, dashboards.month_window(today), "centre-scores"),
        "tiles": tiles,
        "window": window,
        "trend_chart": trend_chart(trend),
        "trend_total": sum(row["total"] for row in trend),
        "trend_href": stats_url(window, period="day"),
        "category_table": category_table,
        "category_chart": group_chart([row.label for row in shown], categories[:CATEGORIES_SHOWN]),
        "category_chart_height": chart_height(len(shown)),
        "categories_href": stats_url(window, group_by="category"),
        "unit_table": unit_table,
        "units_href": stats_url(window, group_by="unit"),
        "orders": orders,
        "extensions": list(pending_extensions(user)[:PENDING_SHOWN]),
        "escalated": escalated_tickets(user),
        # Messages to a 12345 platform undelivered for more than a day (the exchange page).
        "exchange_failing": failing_count(timezone.now()) if can_manage_exchange(user) else 0,
        **_month_scores(today),
    }
    return render(request, "web/home/centre.html", context)


@dataclass
class Escalated:
    tickets: list[Ticket]
    count: int
    href: str


def escalated_tickets(user: User) -> Escalated:
    """Tickets with the bureau's leaders after level 3, still not resolved: the longest
    overdue first."""
    filters = TicketFilters(escalated=True)
    tickets = filter_tickets(user, filters).select_related("unit", "category")
    shown = list(tickets.order_by("due_at", "pk")[:ESCALATED_SHOWN])
    count = len(shown) if len(shown) < ESCALATED_SHOWN else tickets.count()
    return Escalated(shown, count, ticket_list_url(filters))


@dataclass
class OrderCell:
    level: int
    count: int
    href: str


@dataclass
class UnitOrderRow:
    code: str
    name: str
    cells: list[OrderCell]
    total: int
    href: str


@dataclass
class SupervisorOrders:
    levels: list[Tile]
    units: list[UnitOrderRow]
    total: int


def supervisor_orders(user: User) -> SupervisorOrders:
    """Open orders by level and by unit, each count linking to the supervisor's board."""
    orders = dashboards.open_orders_by_unit_and_level(user)
    board = reverse("web:supervision")
    levels = sorted(SupervisionLevel, reverse=True)
    tiles = [
        Tile(
            f"level-{level.value}",
            str(level.label),
            orders.by_level.get(level.value, 0),
            f"{board}?level={level.value}",
            f"level-{level.value}",
        )
        for level in levels
    ]
    rows = []
    for unit in orders.units:
        name = localized_name(Unit(code=unit.code, name=unit.name, name_en=unit.name_en))
        rows.append(
            UnitOrderRow(
                unit.code,
                name,
                [
                    OrderCell(
                        level.value,
                        unit.by_level.get(level.value, 0),
                        f"{board}?unit={unit.code}&level={level.value}",
                    )
                    for level in levels
                ],
                unit.total,
                f"{board}?unit={unit.code}",
            )
        )
    return SupervisorOrders(tiles, rows, orders.total)


def unit_home(request: AuthenticatedRequest, today: dt.date) -> HttpResponse:
    """The unit's inbox in four numbers, what is most urgent, and its own month."""
    user = request.user
    # Whoever has an inbox belongs to a unit.
    assert user.unit is not None
    counts = inbox_counts(user)
    labels = {
        "overdue": (_("Overdue"), "overdue"),
        "due_soon": (_("Due soon"), "due-soon"),
        "to_accept": (_("To accept"), ""),
        "accept_late": (_("Not signed for in time"), "overdue"),
        "in_progress": (_("In progress"), ""),
    }
    tiles = [
        Tile(key, label, counts[key].count, ticket_list_url(counts[key].filters), tone)
        for key, (label, tone) in labels.items()
    ]
    month = dashboards.month_window(today)
    context = {
        "tiles": tiles,
        "urgent": most_urgent(user, limit=URGENT_SHOWN),
        # The unit's figures count the tickets it holds: their links list exactly those.
        "month": figures_block(
            user,
            "unit-month",
            _("This month: %(month)s") % {"month": f"{today:%Y-%m}"},
            month,
            narrower=TicketFilters(unit=user.unit.code),
        ),
        # A mediator's cases come first on their unit's home.
        "mediation": mediation_desk(user) if user.role == Role.MEDIATOR else None,
        "network": network_desk(user),
    }
    return render(request, "web/home/unit.html", context)


def leader_home(request: AuthenticatedRequest, today: dt.date) -> HttpResponse:
    """The bureau's figures for this month and last, read-only, with their monthly reports."""
    user = request.user
    this_month = dashboards.month_window(today)
    last_month = dashboards.month_window(this_month.start - dt.timedelta(days=1))
    blocks = []
    for testid, title, window in (
        ("leader-this-month", _("This month"), this_month),
        ("leader-last-month", _("Last month"), last_month),
    ):
        block = figures_block(user, testid, f"{title} · {window.start:%Y-%m}", window)
        period = current_period(ReportKind.MONTHLY, window.start)
        block.report_href = reverse("web:report", kwargs={"kind": "monthly", "period": period})
        blocks.append((period, block))
    published = set(
        PublishedReport.objects.filter(
            kind=ReportKind.MONTHLY, period__in=[period for period, _block in blocks]
        ).values_list("period", flat=True)
    )
    for period, block in blocks:
        block.published = period in published
    context = {
        "blocks": [block for _period, block in blocks],
        "escalated": escalated_tickets(user),
        # Messages to a 12345 platform undelivered for more than a day (the exchange page).
        "exchange_failing": failing_count(timezone.now()) if can_manage_exchange(user) else 0,
        **_month_scores(today),
    }
    # This month's block has just rebuilt the month's dirty days.
    context["scores"] = units_scored(user, this_month, "leader-scores", refresh=False)
    context["mediation_ranked"] = mediation_rankings(request, this_month)
    context["mediation_columns"] = mediation_ranked_columns()
    context["mediation_report_period"] = current_period(ReportKind.MEDIATION, this_month.start)
    return render(request, "web/home/leader.html", context)


def _month_scores(today: dt.date) -> dict[str, Any]:
    """The month whose units' scores a home shows, with the links to its figures."""
    month = dashboards.month_window(today)
    return {
        "scores_window": month,
        "scores_href": stats_url(month, group_by="unit"),
        "scores_title": _("Units by score, this month (%(month)s)") % {"month": f"{today:%Y-%m}"},
    }


def basic_home(request: AuthenticatedRequest) -> HttpResponse:
    """People without a unit's work (building heads, people not yet placed): the tickets they
    may see, by status."""
    visible = filter_tickets(request.user, TicketFilters())
    counts = dict(visible.order_by().values_list("status").annotate(count=Count("pk")))
    tiles = [
        Tile(
            status.value,
            str(status.label),
            counts.get(status.value, 0),
            ticket_list_url(TicketFilters(status=status.value)),
        )
        for status in Status
    ]
    return render(
        request,
        "web/home/basic.html",
        {"tiles": tiles, "total": sum(counts.values()), "network": network_desk(request.user)},
    )
