"""The supervisor's board (open supervision orders by level and unit, due soon, overdue) and
the printable supervision order (督办单). Every read starts from the access rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.models import Unit, User
from jieban.tickets.models import ORDER_OPEN, SupervisionLevel, SupervisionOrder, Ticket
from jieban.tickets.selectors import TicketFilters, filter_tickets
from jieban.tickets.supervision import access_order, supervision_order_page, visible_orders
from jieban.web.errors import answers_domain_errors
from jieban.web.forms import localized_name
from jieban.web.pages import bureau_heading, dispatchable_units, visible_ticket_or_404
from jieban.web.supervision.forms import SupervisionFilterForm
from jieban.web.tickets.saved_filters import TRUE_VALUES

ORDERS_PAGE = 50
TICKETS_SHOWN = 50
# Most severe first: 深入办, 重点办, 督促办.
LEVELS = sorted(SupervisionLevel, reverse=True)


@dataclass
class LevelGroup:
    level: int
    label: str
    orders: list[SupervisionOrder]


@dataclass
class UnitCounts:
    code: str
    name: str
    by_level: dict[int, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[tuple[int, int]]:
        return [(level.value, self.by_level.get(level.value, 0)) for level in LEVELS]

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


def _level(value: str | None) -> int | None:
    """The level asked for; anything but 1-3 goes to the domain, which says what is wrong."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return 0


def _open_counts(user: User) -> list[UnitCounts]:
    """Open orders the user may see, counted per unit and level in one query."""
    counts: dict[str, UnitCounts] = {}
    rows = (
        visible_orders(user)
        .filter(ORDER_OPEN)
        .values("unit__code", "unit__name", "unit__name_en", "level")
        .annotate(count=Count("pk"))
        .order_by("unit__code", "level")
    )
    for row in rows:
        unit = Unit(code=row["unit__code"], name=row["unit__name"], name_en=row["unit__name_en"])
        entry = counts.setdefault(unit.code, UnitCounts(unit.code, localized_name(unit)))
        entry.by_level[row["level"]] = row["count"]
    return list(counts.values())


def _tickets(user: User, filters: TicketFilters) -> list[Ticket]:
    return list(
        filter_tickets(user, filters)
        .select_related("category", "unit")
        .order_by("due_at", "pk")[:TICKETS_SHOWN]
    )


@login_required
@require_safe
def supervision_board(request: AuthenticatedRequest) -> HttpResponse:
    """Everyone may look; each sees only the orders and tickets the access rule shows them."""
    unit = (request.GET.get("unit") or "").strip() or None
    level = _level(request.GET.get("level"))
    include_fulfilled = (request.GET.get("fulfilled") or "").lower() in TRUE_VALUES
    overdue = (request.GET.get("overdue") or "").lower() in TRUE_VALUES
    orders: list[SupervisionOrder] = []
    next_cursor = None
    error: InvalidInput | None = None
    try:
        orders, next_cursor = supervision_order_page(
            request.user,
            unit=unit,
            level=level,
            open_only=not include_fulfilled,
            overdue=overdue,
            cursor=request.GET.get("cursor") or None,
            limit=ORDERS_PAGE,
        )
    except InvalidInput as exc:
        # Not an error page: the board says what is wrong above the filters that caused it.
        error = exc
    groups = [
        LevelGroup(level.value, str(level.label), [o for o in orders if o.level == level.value])
        for level in LEVELS
    ]
    form = SupervisionFilterForm(
        initial={**request.GET.dict(), "fulfilled": include_fulfilled, "overdue": overdue},
        units=dispatchable_units(),
    )
    context = {
        "form": form,
        "error": error,
        "groups": [group for group in groups if group.orders],
        "orders_shown": len(orders),
        "next_cursor": next_cursor,
        "unit_counts": _open_counts(request.user),
        "levels": LEVELS,
        "due_soon": _tickets(request.user, TicketFilters(due_soon=True)),
        "overdue": _tickets(request.user, TicketFilters(overdue=True)),
        "now": timezone.now(),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "web/supervision/board.html", context, status=400 if error else 200)


@login_required
@require_safe
@answers_domain_errors
def supervision_print(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """督办单 on one A4 page. An order on a ticket one may not see does not exist."""
    order = access_order(request.user, number)
    ticket = visible_ticket_or_404(request.user, order.ticket.number)
    context = {"order": order, "ticket": ticket, "bureau": bureau_heading()}
    return render(request, "web/supervision/print.html", context)
