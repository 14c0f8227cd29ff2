"""What the pages offer a person: the domain's permission functions (`jieban.org.permissions`).

The menu and the forms offered read the same functions the domain actions check, so a form
posted by someone the page would not offer it to still gets the domain's 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from jieban.exchange.selectors import came_from_platform
from jieban.org.actors import Viewer
from jieban.org.permissions import (
    can_administer,
    can_decide_extension,
    can_edit_calendar,
    can_import_tickets,
    can_issue_appointments,
    can_manage_buildings,
    can_manage_dispatch_rules,
    can_manage_exchange,
    can_mark_repeat,
    can_read_own_appointments,
    can_read_reports,
    can_record_visit,
    can_register,
    can_report_from_phone,
    can_see_campaign,
    can_see_grid_map,
    can_see_handovers,
    can_see_mediation,
    can_see_stats,
    can_see_studios,
    can_supervise,
    can_take_snapshot,
    can_watch_supervision,
    can_work_unit_tickets,
    has_inbox,
)
from jieban.tickets.extensions import pending_extension
from jieban.tickets.models import CLOCK_RUNNING, TERMINAL, Status, Ticket


class TicketForm:
    """The forms of the ticket page besides the status transitions."""

    SUPERVISE = "supervise"
    VISIT = "visit"
    REPEAT = "repeat"
    EXTEND = "extension"
    APPROVE_EXTENSION = "extension-approve"
    REJECT_EXTENSION = "extension-reject"
    PROGRESS = "progress"


def ticket_forms(user: Viewer, ticket: Ticket) -> list[str]:
    """The forms besides the transitions that the ticket page offers `user` now: the
    permission of `supervise_ticket`, `record_visit`, `mark_repeat`, `request_extension`, the
    extension's decision and `report_progress`, in the state each needs."""
    offered = []
    if can_supervise(user) and ticket.status in CLOCK_RUNNING:
        offered.append(TicketForm.SUPERVISE)
    if can_record_visit(user) and ticket.status == Status.RESOLVED and not ticket.visit_on_hold:
        offered.append(TicketForm.VISIT)
    if can_mark_repeat(user) and ticket.status not in TERMINAL and not ticket.repeat_of_id:
        offered.append(TicketForm.REPEAT)
    running = ticket.status in CLOCK_RUNNING
    unit_may_ask = running and can_work_unit_tickets(user, ticket.unit_id)
    # A platform's ticket: the platform decides its extensions, not the centre.
    centre_decides = running and can_decide_extension(user) and not ticket.platform_decides
    if unit_may_ask or centre_decides:
        pending = pending_extension(ticket) is not None
        # Asked before the deadline passes, one request at a time (`request_extension`).
        if unit_may_ask and not pending and not ticket.is_overdue:
            offered.append(TicketForm.EXTEND)
        if centre_decides and pending:
            offered += [TicketForm.APPROVE_EXTENSION, TicketForm.REJECT_EXTENSION]
    # 阶段性回复: the unit tells the 12345 platform its ticket came from how it goes.
    if unit_may_ask and came_from_platform(ticket):
        offered.append(TicketForm.PROGRESS)
    return offered


@dataclass(frozen=True)
class Menu:
    register: bool
    phone_report: bool
    inbox: bool
    calendar: bool
    supervision: bool
    follow_up: bool
    campaign: bool
    mediation: bool
    handovers: bool
    stats: bool
    reports: bool
    snapshot: bool
    grid_map: bool
    buildings: bool
    appointments: bool
    imports: bool
    my_appointments: bool
    studios: bool
    exchange: bool
    dispatch_rules: bool
    suggestions: bool
    admin: bool


def menu_for(user: Viewer) -> Menu:
    """What the menu offers `user`: one permission function each."""
    return Menu(
        register=can_register(user),
        phone_report=can_report_from_phone(user),
        inbox=has_inbox(user),
        calendar=can_edit_calendar(user),
        supervision=can_watch_supervision(user),
        follow_up=can_record_visit(user),
        campaign=can_see_campaign(user),
        mediation=can_see_mediation(user),
        handovers=can_see_handovers(user),
        stats=can_see_stats(user),
        reports=can_read_reports(user),
        snapshot=can_take_snapshot(user),
        grid_map=can_see_grid_map(user),
        buildings=can_manage_buildings(user),
        appointments=can_issue_appointments(user),
        imports=can_import_tickets(user),
        # A station's leaders find their own letters among the station's.
        my_appointments=can_read_own_appointments(user) and not can_issue_appointments(user),
        studios=can_see_studios(user),
        exchange=can_manage_exchange(user),
        dispatch_rules=can_manage_dispatch_rules(user),
        suggestions=can_read_reports(user),
        admin=can_administer(user),
    )
