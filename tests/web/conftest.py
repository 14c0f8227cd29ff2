"""Helpers for the page tests: tickets in each state, made through the real actions."""

from __future__ import annotations

import re

import pytest

from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from tests.conftest import Cast, new_ticket

HTMX = {"HTTP_HX_REQUEST": "true"}


def offered_actions(html: str) -> list[str]:
    """The actions a rendered page offers, in order."""
    return re.findall(r'<form class="action action-[a-z_]+"[^>]*data-action="([a-z_]+)"', html)


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
