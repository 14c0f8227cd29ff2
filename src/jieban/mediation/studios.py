"""Managing the mediation studios (调解工作室) and their mediators: who sees the list, who opens
a studio, edits it, and adds or removes its mediators.

Whoever opens the mediation pages, and whoever manages studios, sees every active studio with
its host, address, phone, opening date, mediators (each of a kind) and its open cases
(`can_see_studios`). Administrators open studios for any station or community; a station's or
a community's leaders open them for their unit (`can_manage_studios`). A studio is edited, and
its mediators added or removed, by administrators and its host unit's leaders
(`can_edit_studio`), who also close it once it has no open case. The writes reuse
`create_studio` and `add_studio_mediator`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.inputs import check_day, clean_text
from jieban.mediation.actions import PHONE_PATTERN, add_studio_mediator, create_studio
from jieban.mediation.models import OPEN_STATUSES, Studio, StudioMediator
from jieban.org.actors import Actor, Viewer
from jieban.org.models import Role, Unit, User
from jieban.org.permissions import (
    STUDIO_HOST_KINDS,
    can_edit_studio,
    can_manage_studios,
    can_see_studios,
    require,
)


def _may_see(actor: Viewer) -> None:
    require(can_see_studios(actor), _("Your role has no access to the mediation studios."))


def _active_studios(actor: Viewer) -> QuerySet[Studio]:
    _may_see(actor)
    return Studio.objects.filter(is_active=True).select_related("host_unit")


def studio_list(actor: Viewer) -> QuerySet[Studio]:
    """The bureau's active studios, by code, with their host, their mediators and the count of
    their open cases (`open_cases`); a 403 for whoever may not see them."""
    return (
        _active_studios(actor)
        .prefetch_related("memberships__person")
        .annotate(open_cases=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES)))
        .order_by("code")
    )


def access_studio(actor: Viewer, pk: int, *, for_update: bool = False) -> Studio:
    """The active studio `pk` (with `open_cases`), else NotFound; locked when `for_update`
    (then without its counts: PostgreSQL locks no grouped row)."""
    studios = (
        _active_studios(actor).select_for_update(of=("self",)) if for_update else studio_list(actor)
    )
    try:
        return studios.get(pk=pk)
    except Studio.DoesNotExist:
        raise NotFound(_("No studio %(id)s.") % {"id": pk}) from None


def host_units(actor: Viewer) -> list[Unit]:
    """The units `actor` may open a studio for: every station and community for
    administrators, their own unit for its leaders."""
    if not can_manage_studios(actor):
        return []
    units = Unit.objects.filter(kind__in=STUDIO_HOST_KINDS, is_active=True).order_by("code")
    if isinstance(actor, User) and actor.role != Role.ADMIN:
        # can_manage_studios: a station's or community's leader, who has a unit.
        assert actor.unit_id is not None
        units = units.filter(pk=actor.unit_id)
    return list(units)


def open_studio(
    *,
    code: str,
    name: str,
    host_unit: str,
    address: str = "",
    phone: str = "",
    opened_on: dt.date | None = None,
    by: Actor,
) -> Studio:
    """Open a studio hosted by `host_unit` (a code): any station or community for an
    administrator, their own unit for a station's or community's leaders."""
    require(
        can_manage_studios(by),
        _("Only administrators and a station's or community's leaders may open a studio."),
    )
    hosts = {unit.code for unit in host_units(by)}
    if (
        host_unit not in hosts
        and Unit.objects.filter(code=host_unit, kind__in=STUDIO_HOST_KINDS).exists()
    ):
        # An unknown code is `create_studio`'s to refuse, as for every caller.
        raise InvalidInput(_("You may open a studio for your own unit only."), field="host_unit")
    if opened_on is not None:
        check_day(opened_on, field="opened_on")
    return create_studio(
        code=code,
        name=name,
        host_unit=host_unit,
        address=address,
        phone=phone,
        opened_on=opened_on,
    )


def _editable(pk: int, by: Actor) -> Studio:
    studio = access_studio(by, pk, for_update=True)
    require(
        can_edit_studio(by, studio.host_unit_id),
        _("Only administrators and the host unit's leaders may change this studio."),
    )
    return studio


def update_studio(
    pk: int,
    *,
    name: str | None = None,
    address: str | None = None,
    phone: str | None = None,
    opened_on: dt.date | None = None,
    by: Actor,
) -> Studio:
    """Change a studio's name, address, phone or opening date (a field not given stays)."""
    with transaction.atomic():
        studio = _editable(pk, by)
        if name is not None:
            studio.name = clean_text(name, field="name", label=_("The name"), limit=120,
                                     required=True)  # fmt: skip
        if address is not None:
            studio.address = clean_text(address, field="address", label=_("The address"),
                                        limit=200)  # fmt: skip
        if phone is not None:
            text = clean_text(phone, field="phone", label=_("The phone"), limit=20)
            if text and not PHONE_PATTERN.match(text):
                raise InvalidInput(
                    _("%(phone)s is not a phone number.") % {"phone": text}, field="phone"
                )
            studio.phone = text
        if opened_on is not None:
            studio.opened_on = check_day(opened_on, field="opened_on")
        studio.save(update_fields=["name", "address", "phone", "opened_on"])
    return access_studio(by, pk)


def add_mediator(pk: int, *, person: str, kind: str, by: Actor) -> StudioMediator:
    """Make `person` (a username with the mediator role) one of the studio's mediators, of
    `kind` (police officer, people's mediator, lawyer, retired cadre, volunteer); a mediator
    already there changes kind."""
    with transaction.atomic():
        studio = _editable(pk, by)
        return add_studio_mediator(studio, username=person, kind=kind)


def remove_mediator(pk: int, *, person: str, by: Actor) -> Studio:
    """Take `person` off the studio's mediators: they no longer see its cases."""
    with transaction.atomic():
        studio = _editable(pk, by)
        removed, _counts = StudioMediator.objects.filter(
            studio=studio, person__username=person
        ).delete()
        if not removed:
            raise InvalidInput(
                _("%(name)s is not a mediator of this studio.") % {"name": person},
                field="person",
            )
    return access_studio(by, pk)


def close_studio(pk: int, *, by: Actor) -> Studio:
    """Close a studio (it stops taking cases and leaves the lists; its concluded cases and
    figures stay): administrators and its host unit's leaders, once it has no open case."""
    with transaction.atomic():
        studio = _editable(pk, by)
        still_open = studio.cases.filter(status__in=OPEN_STATUSES).count()
        if still_open:
            raise Conflict(
                ngettext(
                    "The studio still has %(count)d open case: conclude it or let it be "
                    "withdrawn first.",
                    "The studio still has %(count)d open cases: conclude them or let them be "
                    "withdrawn first.",
                    still_open,
                )
                % {"count": still_open}
            )
        studio.is_active = False
        studio.save(update_fields=["is_active"])
    return studio


def mediator_candidates() -> QuerySet[User]:
    """The active people with the mediator role, by username: whom a studio may take on."""
    return User.objects.filter(role=Role.MEDIATOR, is_active=True).order_by("username")
