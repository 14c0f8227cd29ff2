"""The demo's exchange with the outside, made through the real actions at the moment the demo
is loaded: the city's 12345 platform (its mapping tables) with orders in (most taken in as
tickets, one waiting in the needs-mapping list with its code), the units' steps sent up as
messages (delivered, a few waiting with their last error, to be tried again), the
platform's events (an urging, a refused return, its follow-up call); an Open311 application's
key with a handful of requests; and an import source with a finished import. The actions
stamp the real time, so a demo dated elsewhere (`--now`) has none of it, as with hand-overs.

Only the delivery outcomes are written as the worker would have recorded them (the demo has
no platform to deliver to), each at the moment its message was queued: no message is dated
before its ticket, so none has failed for more than a day yet.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from jieban.exchange.actions import EventIn, receive_orders, report_progress, take_event
from jieban.exchange.imports import (
    HEADERS,
    check_file,
    confirm_import,
    default_mapping,
    record_check,
    save_source,
)
from jieban.exchange.models import (
    CategoryMapping,
    CodeKind,
    CodeMapping,
    ImportField,
    MessageAttempt,
    Platform,
    PlatformMessage,
    PlatformMode,
    PlatformOrder,
    UnitMapping,
)
from jieban.exchange.open311 import (
    ServiceRequestDraft,
    issue_open311_key,
    submit_service_request,
)
from jieban.org.actors import SYSTEM
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.tickets import transitions
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import Category, Channel, Ticket

# How close to the real time the demo's now must be for the exchange to be made.
REAL_TIME = dt.timedelta(minutes=10)
PLATFORM = ("qc12345", "市12345政务服务便民热线平台")
# The platform's codes: its categories, and the stations its departments are.
CATEGORY_CODES = {"C0101": "noise", "C0102": "renovation_noise", "C0201": "neighbour_dispute"}
RESULT_CODES = {"0": "resolved", "1": "unresolved", "2": "partly_resolved", "3": "not_handled"}
VISIT_CODES = {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"}
STATUS_CODES = {"10": "accepted", "20": "return_request", "30": "extension_request",
                "40": "progress", "50": "result"}  # fmt: skip
ORDERS = (
    ("C0101", "小区广场夜间广场舞音响声音过大，影响休息", "城关镇幸福小区中心广场"),
    ("C0102", "楼上住户周末装修电钻噪音，从早上七点开始", "城关镇和平路 18 号 3 栋"),
    ("C0201", "邻居在楼道堆放杂物，多次沟通未果", "城关镇建设路 6 号 2 单元"),
    ("C0101", "路边烧烤店营业至凌晨，噪音和油烟扰民", "城关镇人民路 120 号"),
    ("C0102", "对门新房装修，中午午休时间仍在施工", "城关镇滨河小区 5 栋"),
    ("C0201", "邻居家空调外机滴水到我家阳台", "城关镇幸福小区 7 栋 301"),
    ("C0101", "附近工地夜间施工，渣土车往来鸣笛", "城关镇东环路与北街交叉口"),
)
UNMAPPED_CATEGORY = "C0999"
OPEN311_REQUESTS = (
    ("noise", "公园里有人用大功率音箱唱歌，晚上十点后仍未停止", "城关镇滨河公园"),
    ("renovation_noise", "隔壁单元装修切割瓷砖噪音很大", "城关镇和平路 22 号"),
    ("noise", "菜市场早上五点开始装卸货物，噪音扰民", "城关镇农贸市场北门"),
    ("neighbour_dispute", "楼下商铺占用消防通道堆放货物", "城关镇人民路 88 号"),
    ("noise", "小区内有人饲养的犬只夜间持续吠叫", "城关镇幸福小区 2 栋"),
)
IMPORT_SOURCE = "county-12345"
IMPORT_ROWS = 12


@dataclass
class ExchangeDemo:
    orders: int = 0
    messages: int = 0
    open311: int = 0
    imported: int = 0


def build_exchange(now: dt.datetime, *, admin: User) -> ExchangeDemo:
    """The demo's platform, Open311 application and import; nothing when the demo is dated
    away from the real time."""
    made = ExchangeDemo()
    if abs(timezone.now() - now) > REAL_TIME:
        return made
    stations = list(Unit.objects.filter(kind=UnitKind.STATION, is_active=True).order_by("code")[:2])
    categories = {
        category.code: category
        for category in Category.objects.filter(code__in=CATEGORY_CODES.values(), is_active=True)
    }
    if not stations or len(categories) < len(set(CATEGORY_CODES.values())):
        return made
    with transaction.atomic():
        platform = _platform(stations, categories)
    tickets = _orders(platform, stations, made)
    _steps(platform, tickets, made)
    _events(platform, tickets)
    _open311(admin, made)
    _import(stations[0], made)
    return made


def _platform(stations: list[Unit], categories: dict[str, Category]) -> Platform:
    platform = Platform.objects.create(
        code=PLATFORM[0],
        name=PLATFORM[1],
        base_url="https://12345.example.gov.cn/api/jieban",
        secret="demo-shared-secret-change-me",
        mode=PlatformMode.PUSH,
    )
    for code, category in CATEGORY_CODES.items():
        CategoryMapping.objects.create(platform=platform, code=code, category=categories[category])
    for index, station in enumerate(stations, start=1):
        UnitMapping.objects.create(platform=platform, code=f"D{index:02d}", unit=station)
    for kind, codes in (
        (CodeKind.RESULT, RESULT_CODES),
        (CodeKind.VISIT, VISIT_CODES),
        (CodeKind.STATUS, STATUS_CODES),
    ):
        for theirs, ours in codes.items():
            CodeMapping.objects.create(platform=platform, kind=kind, theirs=theirs, ours=ours)
    return platform


def _order(number: str, category: str, content: str, address: str, department: str) -> Any:
    now = timezone.now()
    return {
        "number": number,
        "revision": 1,
        "received_at": (now - dt.timedelta(minutes=30)).isoformat(),
        "caller_name": "王女士",
        "caller_phone": "13700001234",
        "content": content,
        "address": address,
        "category": category,
        "department": department,
        "deadline": (now + dt.timedelta(days=5)).isoformat(),
    }


def _orders(platform: Platform, stations: list[Unit], made: ExchangeDemo) -> list[Ticket]:
    day = timezone.localdate().strftime("%Y%m%d")
    orders = [
        _order(
            f"QC{day}{index:04d}", category, content, address, f"D{index % len(stations) + 1:02d}"
        )
        for index, (category, content, address) in enumerate(ORDERS, start=1)
    ]
    orders.append(
        _order(
            f"QC{day}0099",
            UNMAPPED_CATEGORY,
            "反映小区电梯长期故障无人维修",
            "城关镇和平路 18 号",
            "D01",
        )
    )
    answers = receive_orders(platform, orders)
    made.orders = len(answers)
    numbers = [answer["ticket"] for answer in answers if answer.get("ticket")]
    return list(Ticket.objects.filter(number__in=numbers).select_related("unit").order_by("pk"))


def _handler(ticket: Ticket) -> User | None:
    return User.objects.filter(unit=ticket.unit, role=Role.UNIT_HANDLER, is_active=True).first()


def _steps(platform: Platform, tickets: list[Ticket], made: ExchangeDemo) -> None:
    """The units' steps on the platform's tickets, each a message up: signed for, progress,
    a result (partly resolved), an extension asked, a return requested; the rest stay new."""
    for index, ticket in enumerate(tickets[:5]):
        handler = _handler(ticket)
        if handler is None:
            continue
        if index == 4:
            transitions.return_ticket(
                ticket.number, reason="事发地点不属本所辖区，请平台改派。", by=handler
            )
            continue
        transitions.accept_ticket(ticket.number, by=handler)
        if index == 0:
            report_progress(
                ticket.number, note="已联系广场舞队负责人，约定晚九点后降低音量。", by=handler
            )
            transitions.resolve_ticket(
                ticket.number,
                result="已约谈负责人并限定活动时间和音量，仍需持续观察。",
                outcome="partly_resolved",
                by=handler,
            )
        elif index == 1:
            report_progress(ticket.number, note="已上门告知装修时间规定。", by=handler)
        elif index == 2:
            request_extension(
                ticket.number, days=3, reason="需协调物业和社区共同处理。", by=handler
            )
    messages = list(PlatformMessage.objects.filter(platform=platform).order_by("pk"))
    made.messages = len(messages)
    now = timezone.now()
    # As the worker would have recorded them: most delivered, four waiting with their last
    # error (the platform's gateway failing, or timing out) and their next try.
    for index, message in enumerate(messages):
        if index in (0, 3, 5, 7):
            _failed(message, error="HTTP 502 Bad Gateway" if index == 0 else "timed out after 10 s")
        else:
            MessageAttempt.objects.create(message=message, at=message.created_at, ok=True)
            message.attempts = 1
            message.delivered_at = message.created_at
            message.acknowledgment = '{"code": 0, "msg": "ok"}'
            message.save(update_fields=["attempts", "delivered_at", "acknowledgment"])
    Platform.objects.filter(pk=platform.pk).update(last_delivery_at=now)


def _failed(message: PlatformMessage, *, error: str) -> None:
    """The message's first try, failed when it was queued; the next one in ten minutes."""
    MessageAttempt.objects.create(message=message, at=message.created_at, error=error)
    message.attempts = 1
    message.last_error = error
    message.next_attempt_at = timezone.now() + dt.timedelta(minutes=10)
    message.save(update_fields=["attempts", "last_error", "next_attempt_at"])


def _events(platform: Platform, tickets: list[Ticket]) -> None:
    """The platform urges a signed-for ticket and refuses nothing yet: the return waits."""
    orders = {
        order.ticket_id: order.number
        for order in PlatformOrder.objects.filter(platform=platform, ticket__in=tickets)
    }
    if len(tickets) < 2:
        return
    urged = tickets[1]
    take_event(
        platform,
        EventIn(
            index=0,
            event_id=f"EV-{orders[urged.pk]}-1",
            kind="urge",
            order=orders[urged.pk],
            occurred_at=timezone.now(),
            payload={"note": "群众再次来电催办，请加快办理。"},
        ),
    )


def _open311(admin: User, made: ExchangeDemo) -> None:
    key, _raw = issue_open311_key("城关随手拍", by=admin)
    for service, description, address in OPEN311_REQUESTS:
        if not Category.objects.filter(code=service, is_active=True).exists():
            continue
        submit_service_request(
            ServiceRequestDraft(
                service_code=service, description=description, address_string=address
            ),
            key=key,
        )
        made.open311 += 1


def _import(station: Unit, made: ExchangeDemo) -> None:
    dispatcher = User.objects.filter(role=Role.DISPATCHER, is_active=True).first()
    if dispatcher is None:
        return
    save_source(
        name=IMPORT_SOURCE, channel=Channel.HOTLINE_12345, mapping=default_mapping(), by=SYSTEM
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    fields = list(HEADERS)
    sheet.append([HEADERS[name][0] for name in fields])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    due = yesterday + dt.timedelta(days=6)
    for number in range(1, IMPORT_ROWS + 1):
        values: dict[str, str] = {
            ImportField.ORDER_NUMBER: f"DC{yesterday:%Y%m%d}{number:03d}",
            ImportField.RECEIVED_AT: f"{yesterday.year}/{yesterday.month}/{yesterday.day} "
            f"8:{number:02d}",
            ImportField.RESIDENT_NAME: "刘先生",
            ImportField.RESIDENT_PHONE: "13600005678",
            ImportField.TITLE: "",
            ImportField.CONTENT: f"反映小区周边夜间噪音扰民（导出第 {number} 条）",
            ImportField.ADDRESS: "城关镇和平路",
            ImportField.CATEGORY: "noise",
            ImportField.UNIT: station.code if number % 2 else "",
            ImportField.DUE_AT: f"{due.year}年{due.month}月{due.day}日" if number % 2 else "",
        }
        sheet.append([values[name] for name in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    check = check_file(
        buffer.getvalue(), file_name="12345工单导出.xlsx", source=IMPORT_SOURCE, by=dispatcher
    )
    record = record_check(check, by=dispatcher)
    record = confirm_import(record.pk, by=dispatcher, at_once=True)
    made.imported = record.created_count
