"""Writes to the organisation: units and people."""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.org.actors import Actor, person_of
from jieban.org.models import CommitteeLevel, Role, Unit, UnitKind, User
from jieban.org.permissions import can_administer, require

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def create_unit(
    *,
    code: str,
    kind: str,
    name: str,
    name_en: str = "",
    parent: str | None = None,
    level: str = "",
) -> Unit:
    """Add a unit under `parent` (a code); codes are stable identifiers used by channels. A
    mediation committee has a `level` (town, village, village group); no other unit has one."""
    if not CODE_PATTERN.match(code):
        raise InvalidInput(_("A code is 1-40 letters, digits, '-' or '_'."), field="code")
    if kind not in UnitKind.values:
        raise InvalidInput(_("Unknown unit kind %(kind)s.") % {"kind": kind}, field="kind")
    if kind == UnitKind.COMMITTEE and level not in CommitteeLevel.values:
        raise InvalidInput(
            _("A mediation committee needs a level: %(levels)s.")
            % {"levels": ", ".join(CommitteeLevel.values)},
            field="level",
        )
    if kind != UnitKind.COMMITTEE and level:
        raise InvalidInput(_("Only a mediation committee has a level."), field="level")
    if not name.strip():
        raise InvalidInput(_("The name is required."), field="name")
    with transaction.atomic():
        if Unit.objects.filter(code=code).exists():
            raise InvalidInput(_("Unit %(code)s exists already.") % {"code": code}, field="code")
        parent_unit = None
        if parent:
            parent_unit = Unit.objects.filter(code=parent).first()
            if parent_unit is None:
                raise InvalidInput(_("Unknown unit %(code)s.") % {"code": parent}, field="parent")
        return Unit.objects.create(
            code=code,
            kind=kind,
            name=name.strip(),
            name_en=name_en.strip(),
            parent=parent_unit,
            level=level,
        )


def create_person(
    *,
    username: str,
    role: str,
    unit: str | None,
    password: str | None,
    full_name: str = "",
    phone: str = "",
) -> User:
    """Create a login with one role; everyone but administrators and leaders needs a unit.
    Without a `password` the person cannot log in until an administrator sets one (the back
    office, or `jieban changepassword USERNAME`)."""
    if role not in Role.values:
        raise InvalidInput(_("Unknown role %(role)s.") % {"role": role}, field="role")
    if not username.strip():
        raise InvalidInput(_("The username is required."), field="username")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise InvalidInput(
                _("User %(name)s exists already.") % {"name": username}, field="username"
            )
        unit_obj = None
        if unit:
            unit_obj = Unit.objects.filter(code=unit).first()
            if unit_obj is None:
                raise InvalidInput(_("Unknown unit %(code)s.") % {"code": unit}, field="unit")
        elif role not in (Role.ADMIN, Role.LEADER):
            raise InvalidInput(_("A %(role)s needs a unit.") % {"role": role}, field="unit")
        person = User(
            username=username, role=role, unit=unit_obj, first_name=full_name, phone=phone
        )
        if password is None:
            person.set_unusable_password()
        else:
            try:
                validate_password(password, person)
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), field="password") from exc
            person.set_password(password)
        person.is_staff = role == Role.ADMIN
        person.is_superuser = role == Role.ADMIN
        person.save()
    return person


def set_person_active(person: User, *, active: bool, by: Actor) -> bool:
    """Deactivate a person (they can no longer log in, nor use their API tokens) or activate
    them again; returns whether anything changed. People are never deleted: what they did
    keeps their name. Administrators only, and not on themselves (nobody would be left to
    undo it)."""
    require(can_administer(by), _("Only administrators may deactivate or activate people."))
    if not active and person_of(by) == person:
        raise InvalidInput(_("You cannot deactivate yourself."), field="is_active")
    with transaction.atomic():
        changed = User.objects.filter(pk=person.pk, is_active=not active).exists()
        if changed:
            person.is_active = active
            person.save(update_fields=["is_active"])
    return changed
