"""Helpers for the page tests: tickets in each state, made through the real actions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine

from jieban.org.models import Unit, User
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from jieban.worker.runner import SweepReport, run_sweep
from tests.conftest import Cast, local, new_ticket
from tests.web.browser import browser  # noqa: F401 - the fixture, for the browser tests

HTMX = {"HTTP_HX_REQUEST": "true"}


def offered_actions(html: str) -> list[str]:
    """The actions a rendered page offers, in order."""
    return re.findall(r'<form class="action action-[a-z_]+"[^>]*data-action="([a-z_]+)"', html)


def offered_forms(html: str) -> list[str]:
    """The ticket page's other forms (supervise, visit, repeat) a rendered page offers."""
    return re.findall(r'<form class="extra extra-[a-z_]+"[^>]*data-form="([a-z_]+)"', html)


def dispatched(cast: Cast, code: str = "PS-A", **fields: object) -> Ticket:
    ticket = new_ticket(cast.dispatcher, **fields)
    return transitions.dispatch_ticket(
        ticket.number, unit=Unit.objects.get(code=code), by=cast.dispatcher
    )


def in_progress(cast: Cast, **fields: object) -> Ticket:
    ticket = dispatched(cast, **fields)
    return transitions.accept_ticket(ticket.number, by=cast.handler_a)


def resolved(cast: Cast, **fields: object) -> Ticket:
    ticket = in_progress(cast, **fields)
    return transitions.resolve_ticket(ticket.number, result="已协调停工。", by=cast.handler_a)


@pytest.fixture
def ticket(cast: Cast) -> Ticket:
    """A new ticket registered by the dispatcher."""
    return new_ticket(cast.dispatcher)


def dispatched_at(cast: Cast, moment: dt.datetime, code: str = "PS-A", **fields: Any) -> Ticket:
    """A ticket dispatched to `code` at `moment` (its deadline counts from there)."""
    with time_machine.travel(moment, tick=False):
        return dispatched(cast, code, **fields)


def sweep_at(moment: dt.datetime) -> SweepReport:
    with time_machine.travel(moment, tick=False):
        return run_sweep()


def supervised(
    cast: Cast,
    code: str = "PS-A",
    *,
    breaches: int = 1,
    at: dt.datetime | None = None,
    signed: bool = True,
) -> Ticket:
    """A ticket the unit signed for at once (unless not `signed`, or it has no handler) and
    then left alone past its deadline, and past each order's: the sweep issued `breaches`
    overdue orders on it (levels 1 up to 3)."""
    ticket = dispatched_at(cast, at or local(2026, 3, 2), code)
    handler = User.objects.filter(unit__code=code, role="unit_handler").first()
    if signed and handler is not None:
        with time_machine.travel(ticket.dispatched_at, tick=False):
            transitions.accept_ticket(ticket.number, by=handler)
    for _breach in range(breaches):
        watch = Ticket.objects.get(pk=ticket.pk).watch_at
        assert watch is not None
        sweep_at(watch + dt.timedelta(seconds=1))
    return Ticket.objects.get(pk=ticket.pk)
