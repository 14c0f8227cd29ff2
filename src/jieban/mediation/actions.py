"""Every write to a mediation case, one function each, shaped like `tickets/transitions.py`.

Each function checks access (404), the actor's role (403) and the allowed-transition table
(409), locks the case, and writes the case and one `CaseEvent` in one transaction. A case
should conclude within `CONCLUDE_WITHIN` of its acceptance; it may be extended once, with both
parties' consent, before that deadline passes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.inputs import clean_text, parse_day, printable
from jieban.mediation.access import access_case, case_people, committee_people, studio_people
from jieban.mediation.handover_outcomes import conclude_handover
from jieban.mediation.models import (
    VISIT_WITHIN_DAYS,
    Agreement,
    AgreementTerm,
    AgreementVisit,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    DisputeType,
    FailureRoute,
    MediationCase,
    MediationSession,
    MediatorKind,
    Party,
    Performance,
    Studio,
    StudioMediator,
)
from jieban.org.actions import CODE_PATTERN
from jieban.org.actors import Actor, Viewer, person_of
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.org.permissions import can_mediate, can_open_mediation_case, require
from jieban.tickets.access import access_ticket
from jieban.tickets.models import Ticket
from jieban.tickets.numbering import allocate_numbers, local_day_of

CASE_PREFIX = "TJ"
# A case should conclude within 30 days of its acceptance (人民调解: 一般在三十日内).
CONCLUDE_WITHIN = dt.timedelta(days=30)
# An extension, asked once with both parties' consent, adds at most this many days.
MAX_EXTENSION_DAYS = 30
MAX_TEXT = 4000
MAX_AMOUNT = Decimal("999999999999.99")
# The same shape as a resident's phone at intake.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{2,18}[0-9]$")
# Who hosts a studio.
STUDIO_HOSTS = (UnitKind.STATION, UnitKind.COMMUNITY)


class Action:
    SESSION = CaseEventKind.SESSION.value
    SUCCEED = CaseEventKind.SUCCEED.value
    FAIL = CaseEventKind.FAIL.value
    WITHDRAW = CaseEventKind.WITHDRAW.value
    EXTEND = CaseEventKind.EXTEND.value
    AGREEMENT = CaseEventKind.AGREEMENT.value
    SCAN = CaseEventKind.SCAN.value
    PERFORM = CaseEventKind.PERFORM.value
    VISIT = CaseEventKind.VISIT.value
    CLOSE = CaseEventKind.CLOSE.value


# The actions that conclude a case: a ticket handed over for it learns how it ended.
CONCLUSIONS = frozenset({Action.SUCCEED, Action.FAIL, Action.WITHDRAW})

# The one table of allowed actions: status → action → new status. A case concludes (succeeds
# or fails) only after at least one session.
ALLOWED: dict[str, dict[str, str]] = {
    CaseStatus.ACCEPTED: {
        Action.SESSION: CaseStatus.MEDIATING,
        Action.WITHDRAW: CaseStatus.WITHDRAWN,
        Action.EXTEND: CaseStatus.ACCEPTED,
    },
    CaseStatus.MEDIATING: {
        Action.SESSION: CaseStatus.MEDIATING,
        Action.SUCCEED: CaseStatus.SUCCEEDED,
        Action.FAIL: CaseStatus.FAILED,
        Action.WITHDRAW: CaseStatus.WITHDRAWN,
        Action.EXTEND: CaseStatus.MEDIATING,
    },
    # A succeeded case gets its agreement, then each term's performance and the follow-up
    # call; it closes by itself (`close`, never asked for) when the last of these is recorded.
    CaseStatus.SUCCEEDED: {
        Action.AGREEMENT: CaseStatus.SUCCEEDED,
        Action.SCAN: CaseStatus.SUCCEEDED,
        Action.PERFORM: CaseStatus.SUCCEEDED,
        Action.VISIT: CaseStatus.SUCCEEDED,
        Action.CLOSE: CaseStatus.CLOSED,
    },
    # Performance changes after closing (a term performed late) and further calls are kept.
    CaseStatus.CLOSED: {
        Action.SCAN: CaseStatus.CLOSED,
        Action.PERFORM: CaseStatus.CLOSED,
        Action.VISIT: CaseStatus.CLOSED,
    },
}
# Taken by the case itself, never offered as a button.
AUTOMATIC_ACTIONS = frozenset({Action.CLOSE})

ACTION_LABELS = {
    Action.SESSION: gettext_lazy("Log a session"),
    Action.SUCCEED: gettext_lazy("Agreement reached"),
    Action.FAIL: gettext_lazy("Mediation failed"),
    Action.WITHDRAW: gettext_lazy("Withdraw"),
    Action.EXTEND: gettext_lazy("Extend"),
    Action.AGREEMENT: gettext_lazy("Record the agreement"),
    Action.SCAN: gettext_lazy("Attach the signed scan"),
    Action.PERFORM: gettext_lazy("Record performance"),
    Action.VISIT: gettext_lazy("Record the follow-up call"),
    Action.CLOSE: gettext_lazy("Close"),
}


def create_studio(
    *,
    code: str,
    name: str,
    host_unit: str,
    address: str = "",
    phone: str = "",
    opened_on: dt.date | None = None,
) -> Studio:
    """Add a studio hosted by a station or a community (`host_unit`, a code)."""
    if not CODE_PATTERN.match(code):
        raise InvalidInput(_("A code is 1-40 letters, digits, '-' or '_'."), field="code")
    text = clean_text(name, field="name", label=_("The name"), limit=120, required=True)
    with transaction.atomic():
        if Studio.objects.filter(code=code).exists():
            raise InvalidInput(_("Studio %(code)s exists already.") % {"code": code}, field="code")
        host = Unit.objects.filter(code=host_unit, kind__in=STUDIO_HOSTS).first()
        if host is None:
            raise InvalidInput(
                _("A studio's host is a police station or a community: no such unit %(code)s.")
                % {"code": host_unit},
                field="host_unit",
            )
        return Studio.objects.create(
            code=code,
            name=text,
            host_unit=host,
            address=clean_text(address, field="address", label=_("The address"), limit=200),
            phone=_phone(phone, field="phone"),
            opened_on=opened_on,
        )


def add_studio_mediator(studio: Studio, *, username: str, kind: str) -> StudioMediator:
    """Make a person with the `mediator` role one of the studio's mediators, of `kind`."""
    kind = _choice(kind, MediatorKind, field="kind", label=_("The kind of mediator"))
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None or person.role != Role.MEDIATOR:
        raise InvalidInput(
            _("%(name)s is not a person with the mediator role.") % {"name": username},
            field="person",
        )
    membership, _created = StudioMediator.objects.update_or_create(
        studio=studio, person=person, defaults={"kind": kind}
    )
    return membership


def may_extend(case: MediationCase, now: dt.datetime) -> bool:
    """Once, and before the deadline passes."""
    return not case.was_extended and now <= case.due_at


def available_actions(user: Viewer, case: MediationCase, people: set[int]) -> list[str]:
    """The actions `user` may take on `case` now (whose people are `people`): what the pages
    offer, nothing more."""
    if not can_mediate(user, people):
        return []
    now = timezone.now()
    has_agreement = hasattr(case, "agreement")
    return [
        action
        for action in ALLOWED.get(case.status, {})
        if action not in AUTOMATIC_ACTIONS
        and (action != Action.EXTEND or may_extend(case, now))
        and (action != Action.AGREEMENT or not has_agreement)
        and (action not in AGREEMENT_FIRST or has_agreement)
    ]


def _text(value: str | None, *, field: str, label: str, required: bool = True) -> str:
    return clean_text(value, field=field, label=label, limit=MAX_TEXT, required=required)


def _phone(value: str | None, *, field: str) -> str:
    phone = clean_text(value, field=field, label=_("The phone"), limit=20)
    if phone and not PHONE_PATTERN.match(phone):
        raise InvalidInput(_("%(phone)s is not a phone number.") % {"phone": phone}, field=field)
    return phone


def _choice(value: str | None, choices: type[Any], *, field: str, label: str) -> str:
    text = (value or "").strip()
    if text not in choices.values:
        raise InvalidInput(
            _("%(label)s must be one of: %(values)s.")
            % {"label": label, "values": ", ".join(choices.values)},
            field=field,
        )
    return text


def parse_amount(value: str | Decimal | int | None) -> Decimal | None:
    """The amount in dispute in yuan, at most two decimals, not negative; None if not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput(
            _("The amount is a number of yuan from 0 to %(max)s.") % {"max": f"{MAX_AMOUNT:,}"},
            field="amount",
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_("The amount has at most two decimals."), field="amount")
    return amount.quantize(Decimal("0.01"))


@dataclass
class CaseDraft:
    """What accepting a case takes: a studio's or a committee's code, the parties, the
    dispute."""

    source: str
    applicant_name: str
    respondent_name: str
    dispute_type: str
    facts: str
    studio: str = ""
    committee: str = ""
    applicant_phone: str = ""
    respondent_phone: str = ""
    amount: str | Decimal | None = None
    mediators: Sequence[str] = field(default_factory=list)
    ticket: str = ""


def _forum(draft: CaseDraft) -> tuple[Studio | None, Unit | None, set[int]]:
    """The studio or the committee the case goes to, and its people."""
    studio_code, committee_code = draft.studio.strip(), draft.committee.strip()
    if bool(studio_code) == bool(committee_code):
        raise InvalidInput(_("Give a studio or a committee, not both."), field="studio")
    if studio_code:
        studio = Studio.objects.filter(code=studio_code, is_active=True).first()
        if studio is None:
            raise InvalidInput(_("No studio %(code)s.") % {"code": studio_code}, field="studio")
        return studio, None, studio_people(studio)
    committee = Unit.objects.filter(
        code=committee_code, kind=UnitKind.COMMITTEE, is_active=True
    ).first()
    if committee is None:
        raise InvalidInput(
            _("No mediation committee %(code)s.") % {"code": committee_code}, field="committee"
        )
    return None, committee, committee_people(committee.pk)


def _mediators(usernames: Sequence[str], people: set[int], by: Actor) -> list[User]:
    """The named mediators, each one of the forum's people; by default the mediator accepting."""
    wanted = [name.strip() for name in usernames if name and name.strip()]
    if not wanted:
        person = person_of(by)
        return [person] if person is not None and person.pk in people else []
    found = {
        user.username: user
        for user in User.objects.filter(username__in=wanted, pk__in=people, is_active=True)
    }
    for name in wanted:
        if name not in found:
            raise InvalidInput(
                _("%(name)s is not a mediator of this studio or committee.")
                % {"name": printable(name)[:80]},
                field="mediators",
            )
    return [found[name] for name in dict.fromkeys(wanted)]


def open_case(draft: CaseDraft, *, by: Actor, handed_over: Ticket | None = None) -> MediationCase:
    """Accept a case (受理) for a studio or committee: numbered, its 30-day clock started.
    `handed_over` is the ticket of an accepted hand-over (`jieban.mediation.handovers`), which
    decided who may take it: the committee's mediators, who need not see the station's
    tickets."""
    source = _choice(draft.source, CaseSource, field="source", label=_("The source"))
    dispute_type = _choice(
        draft.dispute_type, DisputeType, field="dispute_type", label=_("The dispute type")
    )
    applicant = _text(draft.applicant_name, field="applicant_name", label=_("The applicant"))
    respondent = _text(draft.respondent_name, field="respondent_name", label=_("The respondent"))
    if len(applicant) > 80 or len(respondent) > 80:
        field_name = "applicant_name" if len(applicant) > 80 else "respondent_name"
        raise InvalidInput(_("A name is at most 80 characters."), field=field_name)
    applicant_phone = _phone(draft.applicant_phone, field="applicant_phone")
    respondent_phone = _phone(draft.respondent_phone, field="respondent_phone")
    facts = _text(draft.facts, field="facts", label=_("The facts"))
    amount = parse_amount(draft.amount)
    with transaction.atomic():
        studio, committee, people = _forum(draft)
        require(
            can_open_mediation_case(by, people),
            _("Your role may not accept cases for this studio or committee."),
        )
        ticket = None
        if source == CaseSource.TICKET and handed_over is not None:
            ticket = handed_over
        elif source == CaseSource.TICKET:
            if not draft.ticket.strip():
                raise InvalidInput(_("Name the ticket handed over."), field="ticket")
            try:
                ticket = access_ticket(by, draft.ticket.strip())
            except NotFound as exc:
                # The number is the form's to correct: the same answer whether the ticket
                # does not exist or is not the reader's to see.
                raise InvalidInput(exc.message, field="ticket") from exc
        elif draft.ticket.strip():
            raise InvalidInput(
                _("Only a case handed over from a ticket names a ticket."), field="ticket"
            )
        mediators = _mediators(draft.mediators, people, by)
        now = timezone.now()
        [number] = allocate_numbers(CASE_PREFIX, local_day_of(now))
        case = MediationCase.objects.create(
            number=number,
            source=source,
            ticket=ticket,
            applicant_name=applicant,
            applicant_phone=applicant_phone,
            respondent_name=respondent,
            respondent_phone=respondent_phone,
            dispute_type=dispute_type,
            amount=amount,
            facts=facts,
            studio=studio,
            committee=committee,
            status=CaseStatus.ACCEPTED,
            accepted_at=now,
            due_at=now + CONCLUDE_WITHIN,
            created_by=person_of(by),
        )
        case.mediators.set(mediators)
        CaseEvent.objects.create(
            case=case,
            kind=CaseEventKind.OPEN,
            actor=person_of(by),
            at=now,
            to_status=CaseStatus.ACCEPTED,
            payload={
                "source": source,
                "studio": studio.code if studio else None,
                "committee": committee.code if committee else None,
                "ticket": ticket.number if ticket else None,
                "mediators": [user.username for user in mediators],
                "due_at": case.due_at.isoformat(),
            },
        )
    return case


def _act(
    number: str,
    *,
    by: Actor,
    action: str,
    apply: Callable[[MediationCase, dt.datetime], dict[str, Any]],
    expected_version: int | None = None,
) -> MediationCase:
    """Take `action` on case `number`: access, role, table, version; then the case and its
    event in one transaction."""
    with transaction.atomic():
        case = access_case(by, number, for_update=True)
        if not can_mediate(by, case_people(case)):
            raise Forbidden(
                _("Only the mediators of its studio or committee may do “%(action)s” on it.")
                % {"action": ACTION_LABELS[action]}
            )
        target = ALLOWED.get(case.status, {}).get(action)
        if target is None:
            raise Conflict(
                _("Case %(number)s is now “%(status)s”: “%(action)s” is not possible. Reload it.")
                % {
                    "number": case.number,
                    "status": CaseStatus(case.status).label,
                    "action": ACTION_LABELS[action],
                }
            )
        if expected_version is not None and expected_version != case.version:
            raise Conflict(
                _("Case %(number)s was changed by someone else since you opened it. Reload it.")
                % {"number": case.number}
            )
        now = timezone.now()
        from_status = case.status
        payload = apply(case, now)
        case.status = target
        case.version += 1
        CaseEvent.objects.create(
            case=case,
            kind=action,
            actor=person_of(by),
            at=now,
            from_status=from_status,
            to_status=target,
            payload=payload,
        )
        closing = ALLOWED.get(target, {}).get(Action.CLOSE)
        if closing is not None and may_close(case):
            # The last of the agreement's terms' performance and its follow-up call recorded.
            case.status = closing
            CaseEvent.objects.create(
                case=case,
                kind=Action.CLOSE,
                actor=person_of(by),
                at=now,
                from_status=target,
                to_status=closing,
                payload={"after": action},
            )
        case.save()
        if action in CONCLUSIONS:
            # A dispute handed over by a station: the ticket learns how it ended.
            conclude_handover(case, by=by, now=now)
    return case


def log_session(
    number: str,
    *,
    held_on: str | dt.date,
    attendees: str,
    discussion: str,
    agreed: str = "",
    by: Actor,
    expected_version: int | None = None,
) -> MediationCase:
    """Record a session (调解): its date, who attended, what was said and agreed."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        day = held_on if isinstance(held_on, dt.date) else parse_day(held_on, field="held_on")
        if day < timezone.localdate(case.accepted_at) or day > timezone.localdate(now):
            raise InvalidInput(
                _("A session is held between the acceptance and today."), field="held_on"
            )
        session = MediationSession.objects.create(
            case=case,
            held_on=day,
            attendees=_text(attendees, field="attendees", label=_("Who attended")),
            discussion=_text(discussion, field="discussion", label=_("What was said")),
            agreed=_text(agreed, field="agreed", label=_("What was agreed"), required=False),
            recorded_by=person_of(by),
            recorded_at=now,
        )
        return {"session": session.pk, "held_on": day.isoformat()}

    return _act(
        number, by=by, action=Action.SESSION, apply=apply, expected_version=expected_version
    )


def succeed_case(
    number: str, *, conclusion: str, by: Actor, expected_version: int | None = None
) -> MediationCase:
    """The parties reached an agreement (达成协议): the clock stops."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        case.conclusion = _text(conclusion, field="conclusion", label=_("The agreement"))
        case.concluded_at = now
        return {"in_time": now <= case.due_at}

    return _act(
        number, by=by, action=Action.SUCCEED, apply=apply, expected_version=expected_version
    )


def fail_case(
    number: str,
    *,
    route: str,
    conclusion: str,
    by: Actor,
    expected_version: int | None = None,
) -> MediationCase:
    """Mediation failed (调解不成): the route advised to the parties is recorded."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        case.failure_route = _choice(route, FailureRoute, field="route", label=_("The route"))
        case.conclusion = _text(conclusion, field="conclusion", label=_("Why it failed"))
        case.concluded_at = now
        return {"route": case.failure_route, "in_time": now <= case.due_at}

    return _act(number, by=by, action=Action.FAIL, apply=apply, expected_version=expected_version)


def withdraw_case(
    number: str, *, reason: str, by: Actor, expected_version: int | None = None
) -> MediationCase:
    """The applicant withdrew: the case ends without a result."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        case.conclusion = _text(reason, field="reason", label=_("The reason"))
        case.concluded_at = now
        return {}

    return _act(
        number, by=by, action=Action.WITHDRAW, apply=apply, expected_version=expected_version
    )


def extend_case(
    number: str,
    *,
    days: int,
    consent: str,
    by: Actor,
    expected_version: int | None = None,
) -> MediationCase:
    """More time, once, before the deadline passes, with both parties' consent recorded."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        if case.was_extended:
            raise Conflict(_("Case %(number)s was extended once already.") % {"number": number})
        if now > case.due_at:
            raise Conflict(
                _("Case %(number)s is past its deadline: it can no longer be extended.")
                % {"number": number}
            )
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
            raise InvalidInput(
                _("An extension is 1 to %(max)d days.") % {"max": MAX_EXTENSION_DAYS},
                field="days",
            )
        case.extension_consent = _text(consent, field="consent", label=_("Both parties' consent"))
        previous = case.due_at
        case.due_at = previous + dt.timedelta(days=days)
        case.extended_at = now
        return {
            "days": days,
            "previous_due_at": previous.isoformat(),
            "due_at": case.due_at.isoformat(),
        }

    return _act(number, by=by, action=Action.EXTEND, apply=apply, expected_version=expected_version)


# The actions that need the agreement recorded first.
AGREEMENT_FIRST = frozenset({Action.SCAN, Action.PERFORM, Action.VISIT})
MAX_TERMS = 20
MAX_METHOD = 200
# What the signed scan of an agreement may be: a PDF or a photo, within the attachments' limit.
SCAN_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")


@dataclass
class TermDraft:
    """One term agreed: who performs it (`Party`), what, how, and by when."""

    obligor: str
    content: str
    method: str
    due_on: str | dt.date


@dataclass
class AgreementDraft:
    """What an agreement (调解协议书) takes beyond the case's parties: the facts, each side's
    responsibility, the date signed and one or more terms."""

    facts: str
    applicant_responsibility: str
    respondent_responsibility: str
    signed_on: str | dt.date
    terms: Sequence[TermDraft] = field(default_factory=list)


def visit_due_on(signed_on: dt.date) -> dt.date:
    """The last day of the follow-up call of an agreement signed on `signed_on`."""
    return signed_on + dt.timedelta(days=VISIT_WITHIN_DAYS)


def may_close(case: MediationCase) -> bool:
    """Every term's performance recorded and the follow-up call done."""
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None or agreement.visited_at is None:
        return False
    return not agreement.terms.filter(performance="").exists()


def _day(value: str | dt.date, *, field: str) -> dt.date:
    return value if isinstance(value, dt.date) else parse_day(value, field=field)


def _agreement_of(case: MediationCase) -> Agreement:
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        raise Conflict(
            _("Case %(number)s has no agreement yet: record it first.") % {"number": case.number}
        )
    return agreement


def _terms(drafts: Sequence[TermDraft], signed_on: dt.date) -> list[AgreementTerm]:
    if not drafts:
        raise InvalidInput(_("An agreement has at least one term."), field="terms")
    if len(drafts) > MAX_TERMS:
        raise InvalidInput(
            _("An agreement has at most %(max)d terms.") % {"max": MAX_TERMS}, field="terms"
        )
    terms = []
    for position, draft in enumerate(drafts, start=1):
        prefix = f"terms.{position}"
        obligor = _choice(
            draft.obligor, Party, field=f"{prefix}.obligor", label=_("Who performs it")
        )
        content = _text(draft.content, field=f"{prefix}.content", label=_("The term"))
        method = clean_text(
            draft.method,
            field=f"{prefix}.method",
            label=_("How it is performed"),
            limit=MAX_METHOD,
            required=True,
        )
        due_on = _day(draft.due_on, field=f"{prefix}.due_on")
        if due_on < signed_on:
            raise InvalidInput(
                _("Term %(position)d is due on %(due)s, before the signing (%(signed)s).")
                % {"position": position, "due": due_on, "signed": signed_on},
                field=f"{prefix}.due_on",
            )
        terms.append(
            AgreementTerm(
                position=position, obligor=obligor, content=content, method=method, due_on=due_on
            )
        )
    return terms


def record_agreement(
    number: str, *, draft: AgreementDraft, by: Actor, expected_version: int | None = None
) -> MediationCase:
    """The agreement of a succeeded case (调解协议书), once: the facts, each side's
    responsibility, the terms and the date signed; the 15-day follow-up clock starts."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        if Agreement.objects.filter(case=case).exists():
            raise Conflict(
                _("Case %(number)s has its agreement already.") % {"number": case.number}
            )
        facts = _text(draft.facts, field="facts", label=_("The facts"))
        applicant = _text(
            draft.applicant_responsibility,
            field="applicant_responsibility",
            label=_("The applicant's responsibility"),
        )
        respondent = _text(
            draft.respondent_responsibility,
            field="respondent_responsibility",
            label=_("The respondent's responsibility"),
        )
        signed_on = _day(draft.signed_on, field="signed_on")
        if signed_on < timezone.localdate(case.accepted_at) or signed_on > timezone.localdate(now):
            raise InvalidInput(
                _("An agreement is signed between the acceptance and today."), field="signed_on"
            )
        terms = _terms(draft.terms, signed_on)
        agreement = Agreement.objects.create(
            case=case,
            facts=facts,
            applicant_responsibility=applicant,
            respondent_responsibility=respondent,
            signed_on=signed_on,
            visit_due_on=visit_due_on(signed_on),
            last_due_on=max(term.due_on for term in terms),
            recorded_by=person_of(by),
            recorded_at=now,
        )
        for term in terms:
            term.agreement = agreement
        AgreementTerm.objects.bulk_create(terms)
        return {
            "agreement": agreement.pk,
            "signed_on": signed_on.isoformat(),
            "terms": len(terms),
            "visit_due_on": agreement.visit_due_on.isoformat(),
        }

    return _act(
        number, by=by, action=Action.AGREEMENT, apply=apply, expected_version=expected_version
    )


def check_scan(upload: UploadedFile) -> str:
    """The content type to store for a signed scan, or InvalidInput saying what is wrong:
    a PDF or a photo, not empty, within the attachments' size limit."""
    name = printable(upload.name or "")[:200] or "file"
    suffix = PurePath(name).suffix.lower()
    types = settings.JIEBAN_ATTACHMENT_TYPES
    if suffix not in SCAN_SUFFIXES or suffix not in types:
        raise InvalidInput(
            _("%(name)s: a signed scan is a PDF or a photo (%(types)s).")
            % {"name": name, "types": " ".join(SCAN_SUFFIXES)},
            field="scan",
        )
    limit = settings.JIEBAN_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidInput(
            _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": limit // (1024 * 1024)},
            field="scan",
        )
    if upload.size == 0:
        raise InvalidInput(_("%(name)s is empty.") % {"name": name}, field="scan")
    return str(types[suffix])


def attach_scan(
    number: str, *, upload: UploadedFile, by: Actor, expected_version: int | None = None
) -> MediationCase:
    """The signed agreement's scan, stored with the attachments (a new one replaces it)."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        agreement = _agreement_of(case)
        content_type = check_scan(upload)
        previous = agreement.scan.name if agreement.scan else ""
        name = printable(upload.name or "")[:200] or "file"
        agreement.scan_name = name
        agreement.scan_type = content_type
        agreement.scan_size = upload.size
        agreement.scan.save(name, upload, save=False)
        agreement.save()
        if previous:
            storage = agreement.scan.storage
            # The replaced file goes only once the new one is committed.
            transaction.on_commit(lambda: storage.delete(previous))
        return {"name": name, "size": upload.size}

    return _act(number, by=by, action=Action.SCAN, apply=apply, expected_version=expected_version)


def record_performance(
    number: str,
    *,
    term: int,
    performance: str,
    performed_on: str | dt.date,
    note: str = "",
    by: Actor,
    expected_version: int | None = None,
) -> MediationCase:
    """How term number `term` was performed (履行), as of `performed_on`, with a note; recorded
    again as it changes. The case closes when this was the last thing missing."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        agreement = _agreement_of(case)
        if isinstance(term, bool) or not isinstance(term, int):
            raise InvalidInput(_("Name the term by its number."), field="term")
        item = agreement.terms.filter(position=term).first()
        if item is None:
            raise InvalidInput(
                _("The agreement has no term %(position)s.") % {"position": term}, field="term"
            )
        status = _choice(performance, Performance, field="performance", label=_("Performance"))
        day = _day(performed_on, field="performed_on")
        if day < agreement.signed_on or day > timezone.localdate(now):
            raise InvalidInput(
                _("Performance is recorded between the signing and today."), field="performed_on"
            )
        text = _text(note, field="note", label=_("The note"), required=status != "performed")
        previous = item.performance
        item.performance = status
        item.performed_on = day
        item.performance_note = text
        item.performance_by = person_of(by)
        item.performance_recorded_at = now
        item.save()
        everything = not agreement.terms.exclude(performance=Performance.PERFORMED).exists()
        if everything and agreement.performed_at is None:
            agreement.performed_at = now
            agreement.save(update_fields=["performed_at"])
        elif not everything and agreement.performed_at is not None:
            agreement.performed_at = None
            agreement.save(update_fields=["performed_at"])
        return {
            "term": term,
            "performance": status,
            "previous": previous,
            "performed_on": day.isoformat(),
        }

    return _act(
        number, by=by, action=Action.PERFORM, apply=apply, expected_version=expected_version
    )


def record_visit(
    number: str,
    *,
    visited_on: str | dt.date,
    called: str,
    statement: str,
    satisfied: bool | None,
    by: Actor,
    expected_version: int | None = None,
) -> MediationCase:
    """A follow-up call (回访): when, who was called, what they said, satisfied or not. The
    follow-up is done once both parties have been called (together or in two calls); the case
    closes when this was the last thing missing."""

    def apply(case: MediationCase, now: dt.datetime) -> dict[str, Any]:
        agreement = _agreement_of(case)
        day = _day(visited_on, field="visited_on")
        if day < agreement.signed_on or day > timezone.localdate(now):
            raise InvalidInput(
                _("A follow-up call is made between the signing and today."), field="visited_on"
            )
        party = _choice(called, Party, field="called", label=_("Who was called"))
        if not isinstance(satisfied, bool):
            raise InvalidInput(_("Say whether they were satisfied."), field="satisfied")
        visit = AgreementVisit.objects.create(
            agreement=agreement,
            visited_on=day,
            called=party,
            statement=_text(statement, field="statement", label=_("What they said")),
            satisfied=satisfied,
            recorded_by=person_of(by),
            recorded_at=now,
        )
        called_parties = set(agreement.visits.values_list("called", flat=True))
        done = Party.BOTH in called_parties or {Party.APPLICANT, Party.RESPONDENT} <= called_parties
        if done and agreement.visited_at is None:
            agreement.visited_at = now
            agreement.save(update_fields=["visited_at"])
        return {
            "visit": visit.pk,
            "visited_on": day.isoformat(),
            "called": party,
            "satisfied": satisfied,
            "in_time": day <= agreement.visit_due_on,
        }

    return _act(number, by=by, action=Action.VISIT, apply=apply, expected_version=expected_version)
