"""Open311 GeoReport v2 (README, "Open311 GeoReport v2"): the keys of the applications that
send service requests, and a service request taken in as a ticket of channel `open311`.

An application posts with its key; the request enters through the one intake
(`register_ticket`) acting as the system (`SYSTEM`: a partner's work, nobody's by hand), and
what the ticket has no column for (the application, `lat`/`long`, `address_id`, `media_url`,
the email, the attributes) is kept beside it in `Open311Request`, in the same transaction.
Fields keep the specification's names, so an error names the parameter the client sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound, Throttled
from jieban.exchange.models import Open311Key, Open311Request, hash_open311_key, new_open311_key
from jieban.exchange.tracking import slots_left, take_slot
from jieban.inputs import check_text, clean_text
from jieban.intake.actions import TicketDraft
from jieban.org.actors import SYSTEM, Actor
from jieban.org.permissions import can_manage_open311_keys, require
from jieban.suggestions.actions import register_and_suggest
from jieban.tickets.models import Category, Channel, Ticket

# What a request may carry beside its description, at most (a client's junk is refused, not
# stored): attributes, and the characters of an attribute's code and of each of its values.
# The slots that count an address's wrong keys (`application_of`).
WRONG_KEYS = "open311-key"
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_CODE = 100
MAX_ATTRIBUTE_VALUE = 1000
# The intake's names of what it refused, in the names the client sent them by.
INTAKE_FIELDS = {
    "content": "description",
    "title": "description",
    "resident_name": "last_name",
    "resident_phone": "phone",
    "address": "address_string",
    "category": "service_code",
}


@dataclass
class ServiceRequestDraft:
    """A POST Service Request's arguments as sent (form fields are text); `attributes` maps
    each `attribute[code]` to its values (several for a multivaluelist)."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    media_url: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


def _key_name(name: str) -> str:
    return clean_text(
        name, field="name", label=_("The application's name"), limit=80, required=True
    )


def issue_open311_key(name: str, *, by: Actor) -> tuple[Open311Key, str]:
    """A new key for the application `name` (administrators: `can_manage_open311_keys`);
    returns the key row and the key itself, which is shown this once and stored hashed."""
    require(can_manage_open311_keys(by), _("Only administrators issue Open311 keys."))
    name = _key_name(name)
    raw = new_open311_key()
    try:
        with transaction.atomic():
            key = Open311Key.objects.create(
                name=name, key_hash=hash_open311_key(raw), prefix=raw[:9]
            )
    except IntegrityError:
        raise Conflict(
            _("An application named %(name)s already has a key.") % {"name": name}
        ) from None
    return key, raw


def revoke_open311_key(name: str, *, by: Actor) -> Open311Key:
    """Revoke the key of the application `name`: its requests are refused from now on (403).
    Revoking a revoked key changes nothing."""
    require(can_manage_open311_keys(by), _("Only administrators revoke Open311 keys."))
    name = _key_name(name)
    with transaction.atomic():
        key = Open311Key.objects.select_for_update().filter(name=name).first()
        if key is None:
            raise NotFound(_("No Open311 key named %(name)s.") % {"name": name}, field="name")
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
    return key


def application_of(raw_key: str, *, address: str) -> Open311Key:
    """The application whose key `raw_key` is, or Forbidden (the specification's 403) when the
    key is missing, unknown or revoked. Each wrong key counts against the client `address`:
    `JIEBAN_OPEN311_WRONG_KEYS` of them within `JIEBAN_OPEN311_WRONG_KEY_MINUTES` and every
    key it sends is refused (Throttled, 429) until the oldest runs out, so keys cannot be
    guessed."""
    window = settings.JIEBAN_OPEN311_WRONG_KEY_MINUTES * 60
    limit = settings.JIEBAN_OPEN311_WRONG_KEYS
    waiting = slots_left(WRONG_KEYS, address, limit=limit, window=window)
    if waiting is not None:
        raise _too_many_wrong_keys(waiting)
    raw_key = (raw_key or "").strip()
    key = Open311Key.objects.filter(key_hash=hash_open311_key(raw_key)).first() if raw_key else None
    if key is None or key.revoked_at is not None:
        take_slot(WRONG_KEYS, address, limit=limit, window=window)
    if not raw_key:
        raise Forbidden(
            _("api_key is missing: a service request needs the key of its application."),
            field="api_key",
        )
    if key is None:
        raise Forbidden(
            _("Invalid api_key received: no application has this key."), field="api_key"
        )
    if key.revoked_at is not None:
        raise Forbidden(
            _("The api_key was revoked: ask the bureau for a new one."), field="api_key"
        )
    return key


def _too_many_wrong_keys(seconds: int) -> Throttled:
    minutes = max(1, math.ceil(seconds / 60))
    return Throttled(
        ngettext(
            "Too many wrong api_key values from your address: try again in %(minutes)d minute.",
            "Too many wrong api_key values from your address: try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        retry_after=seconds,
        field="api_key",
    )


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """The specification's `jurisdiction_id`: ignored unless one is configured
    (`JIEBAN_OPEN311_JURISDICTION`); then another one sent is not found (404)."""
    configured = settings.JIEBAN_OPEN311_JURISDICTION
    given = (jurisdiction_id or "").strip()
    if configured and given and given != configured:
        raise NotFound(
            _("jurisdiction_id %(given)s was not found (this server serves %(configured)s).")
            % {"given": check_text(given, field="jurisdiction_id")[:100], "configured": configured},
            field="jurisdiction_id",
        )


def service_notice(category: Category) -> str:
    """What happens to a request of the service `category`: the specification's
    `service_notice`."""
    return _(
        "The command centre sends it to the unit responsible, which has %(days)d working days"
        " to handle it."
    ) % {"days": category.deadline_days}


def active_service(code: str) -> Category:
    """The active category whose code is `code` (a service_code), or NotFound (404)."""
    code = clean_text(code, field="service_code", label="service_code", limit=40, required=True)
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise NotFound(
            _("service_code %(code)s was not found.") % {"code": code}, field="service_code"
        )
    return category


def _coordinate(text: str, *, field: str, limit: float) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(check_text(text, field=field)[:40])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidInput(
            _("%(field)s must be a number from -%(limit)d to %(limit)d (WGS-84 degrees).")
            % {"field": field, "limit": limit},
            field=field,
        )
    return value


def _position(draft: ServiceRequestDraft) -> tuple[float | None, float | None]:
    lat = _coordinate(draft.lat, field="lat", limit=90)
    long = _coordinate(draft.long, field="long", limit=180)
    if (lat is None) != (long is None):
        missing = "long" if long is None else "lat"
        raise InvalidInput(
            _("lat and long are sent together: %(missing)s is missing.") % {"missing": missing},
            field=missing,
        )
    return lat, long


def _checked(value: str, *, field: str, limit: int) -> str:
    return clean_text(value, field=field, label=field, limit=limit, required=False)


def _media_url(text: str) -> str:
    url = _checked(text, field="media_url", limit=500)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput(
                _("media_url must be an http or https address."), field="media_url"
            ) from None
    return url


def _email(text: str) -> str:
    email = _checked(text, field="email", limit=254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise InvalidInput(
                _("%(email)s is not an email address.") % {"email": email}, field="email"
            ) from None
    return email


def _attributes(sent: dict[str, list[str]]) -> dict[str, str | list[str]]:
    if len(sent) > MAX_ATTRIBUTES:
        raise InvalidInput(
            _("At most %(max)d attributes are accepted.") % {"max": MAX_ATTRIBUTES},
            field="attribute",
        )
    attributes: dict[str, str | list[str]] = {}
    for code, values in sent.items():
        name = f"attribute[{code[:MAX_ATTRIBUTE_CODE]}]"
        code = clean_text(code, field=name, label=name, limit=MAX_ATTRIBUTE_CODE, required=True)
        if len(values) > MAX_ATTRIBUTES:
            raise InvalidInput(
                _("At most %(max)d values are accepted for %(name)s.")
                % {"max": MAX_ATTRIBUTES, "name": name},
                field=name,
            )
        checked = [_checked(value, field=name, limit=MAX_ATTRIBUTE_VALUE) for value in values]
        attributes[code] = checked[0] if len(checked) == 1 else checked
    return attributes


def _resident_name(first_name: str, last_name: str) -> str:
    """The submitter's name as the bureau writes it: a Chinese name family name first and
    without a space (张 + 三 → 张三), another given name first."""
    first = _checked(first_name, field="first_name", limit=60)
    last = _checked(last_name, field="last_name", limit=60)
    if first and last and not (first + last).isascii():
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _address(address_string: str, lat: float | None, long: float | None, address_id: str) -> str:
    """The ticket's address, for the people who handle it: the one typed, else the position
    or the jurisdiction's address id."""
    if address_string:
        return address_string
    if lat is not None and long is not None:
        return f"WGS-84 {lat:.6f}, {long:.6f}"
    return f"address_id {address_id}"


def submit_service_request(draft: ServiceRequestDraft, *, key: Open311Key) -> Ticket:
    """POST Service Request: a ticket of channel `open311` for the service `service_code`,
    located by `lat`+`long`, `address_string` or `address_id`, sent by the application of
    `key`. Bad input is InvalidInput (400) naming the parameter; an unknown service_code is
    NotFound (404), as the specification says."""
    category = active_service(draft.service_code)
    lat, long = _position(draft)
    address_string = _checked(draft.address_string, field="address_string", limit=300)
    address_id = _checked(draft.address_id, field="address_id", limit=100)
    if lat is None and not address_string and not address_id:
        raise InvalidInput(
            _("A location is required: lat and long, address_string or address_id."),
            field="lat",
        )
    description = clean_text(
        draft.description, field="description", label="description", limit=4000
    )
    media_url = _media_url(draft.media_url)
    email = _email(draft.email)
    attributes = _attributes(draft.attributes)
    ticket_draft = TicketDraft(
        channel=Channel.OPEN311,
        category=category.code,
        # A request without a description is its service, as the application named it.
        content=description or category.name,
        resident_name=_resident_name(draft.first_name, draft.last_name),
        resident_phone=_checked(draft.phone, field="phone", limit=20),
        address=_address(address_string, lat, long, address_id),
    )
    try:
        with transaction.atomic():
            ticket = register_and_suggest(ticket_draft, by=SYSTEM).ticket
            Open311Request.objects.create(
                ticket=ticket,
                key=key,
                lat=lat,
                long=long,
                address_id=address_id,
                media_url=media_url,
                email=email,
                attributes=attributes,
            )
    except InvalidInput as exc:
        name = INTAKE_FIELDS.get(exc.field or "", exc.field)
        raise InvalidInput(exc.message, field=name) from None
    return ticket
