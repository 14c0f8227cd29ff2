"""`jieban demo`: a fictional county bureau with its people and a few months of tickets.

Everything here is invented: 青川县 (Qingchuan County) is a made-up bureau, and so are its
stations, communities, people, addresses and phone numbers.

The organisation and the people are created through the real actions (`create_unit`,
`create_person`). Tickets are generated day by day over the 90 days before "now", each with the
timeline the transition functions and the worker would have written (events with consistent
from/to statuses and the same payloads, holdings, numbers per registration day, working-day
deadlines; supervision orders for missed deadlines, dissatisfied residents and by a supervisor's
hand; follow-up calls; repeat reports), and written with bulk inserts in batches, so that a
million tickets take minutes and little memory. The same seed and the same "now" give the same
data. Open tickets whose current deadline has passed are left for the worker's first sweep
(see `TicketGenerator`). The daily rollups are rebuilt by the command once the tickets are in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import operator
import random
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model

from jieban.org.actions import create_person, create_unit
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.tickets.models import (
    CLOCK_RUNNING,
    Category,
    DailySequence,
    Status,
    SupervisionOrder,
    SupervisionReason,
    Ticket,
    TicketEvent,
    TicketUnit,
    Visit,
    VisitOutcome,
)
from jieban.tickets.numbering import ORDER_PREFIX, TICKET_PREFIX
from jieban.tickets.supervision import MAX_LEVEL, order_days
from jieban.tickets.visits import MAX_UNREACHABLE
from jieban.tickets.visits import SATISFIED as SATISFIED_OUTCOMES
from jieban.workcalendar.workdays import Deadline, WorkdayOracle, deadline_with, local_zone

BUREAU = ("QC", "青川县公安局", "Qingchuan County Public Security Bureau")
CENTRE = ("QC-CC", "青川县公安局指挥中心", "Qingchuan Command Centre")

# code, name, English name, town, [(community name, English name, is a village, grids)]
STATIONS: list[tuple[str, str, str, str, list[tuple[str, str, bool, int]]]] = [
    (
        "QC-PS01",
        "城关派出所",
        "Chengguan Police Station",
        "城关镇",
        [
            ("文昌社区", "Wenchang Community", False, 2),
            ("滨江社区", "Binjiang Community", False, 2),
            ("新华社区", "Xinhua Community", False, 2),
        ],
    ),
    (
        "QC-PS02",
        "东河派出所",
        "Donghe Police Station",
        "东河镇",
        [
            ("东河社区", "Donghe Community", False, 2),
            ("柳湾村", "Liuwan Village", True, 1),
        ],
    ),
    (
        "QC-PS03",
        "西山派出所",
        "Xishan Police Station",
        "西山乡",
        [
            ("西山社区", "Xishan Community", False, 2),
            ("石门村", "Shimen Village", True, 1),
            ("茶园村", "Chayuan Village", True, 1),
        ],
    ),
    (
        "QC-PS04",
        "南桥派出所",
        "Nanqiao Police Station",
        "南桥镇",
        [
            ("南桥社区", "Nanqiao Community", False, 1),
            ("桥头村", "Qiaotou Village", True, 1),
        ],
    ),
    (
        "QC-PS05",
        "北坪派出所",
        "Beiping Police Station",
        "北坪乡",
        [
            ("北坪社区", "Beiping Community", False, 1),
            ("龙潭村", "Longtan Village", True, 1),
            ("杏花村", "Xinghua Village", True, 1),
        ],
    ),
    (
        "QC-PS06",
        "青溪派出所",
        "Qingxi Police Station",
        "青溪镇",
        [
            ("青溪社区", "Qingxi Community", False, 1),
            ("竹林村", "Zhulin Village", True, 1),
        ],
    ),
]

GRID_ORDINALS = ["一", "二", "三", "四"]

# Residential compounds and streets, for addresses in communities.
COMPOUNDS = [
    "锦绣花园",
    "阳光小区",
    "滨江名苑",
    "幸福里",
    "翠苑小区",
    "金桂园",
    "和平新村",
    "书香苑",
    "华府小区",
    "电力宿舍",
    "粮站家属院",
    "教师公寓",
]
STREETS = ["人民路", "解放路", "建设路", "中山街", "新华街", "文化路", "滨河路", "沿江大道"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "建国华明丽芳军伟敏静强磊洋勇艳杰娟涛超秀英霞平刚桂兰志红玉春海燕文斌宇鹏浩婷雪梅琴"

# Demo people: username, role, unit code, full name.
PEOPLE: list[tuple[str, str, str, str]] = [
    ("admin", "admin", "QC-CC", "系统管理员"),
    ("dispatcher", "dispatcher", "QC-CC", "王丽"),
    ("dispatcher2", "dispatcher", "QC-CC", "陈静"),
    ("supervisor", "supervisor", "QC-CC", "刘强"),
    ("leader", "leader", "QC", "赵建国"),
    ("handler1", "unit_handler", "QC-PS01", "张伟"),
    ("handler2", "unit_handler", "QC-PS02", "李军"),
    ("handler3", "unit_handler", "QC-PS03", "周涛"),
    ("handler4", "unit_handler", "QC-PS04", "吴磊"),
    ("handler5", "unit_handler", "QC-PS05", "郑勇"),
    ("handler6", "unit_handler", "QC-PS06", "孙杰"),
    ("unit_leader1", "unit_leader", "QC-PS01", "黄志强"),
    ("mediator", "mediator", "QC-C0101", "何秀英"),
    ("grid_officer", "grid_officer", "QC-G01", "林海"),
    ("building_head", "building_head", "QC-G02", "马桂兰"),
]
DEMO_PASSWORD = "jieban-demo"

# How often each default category is reported (others: 3).
CATEGORY_WEIGHTS = {
    "noise": 14,
    "renovation_noise": 10,
    "dangerous_dogs": 6,
    "traffic_dispute": 8,
    "neighbour_dispute": 14,
    "family_dispute": 8,
    "business_dispute": 6,
    "property_dispute": 10,
    "consultation": 3,
    "consultation_id_card": 6,
    "consultation_household": 5,
    "fraud_check": 5,
    "other": 4,
}

CHANNEL_WEIGHTS = {
    "hotline_12345": 34,
    "online_platform": 18,
    "phone": 20,
    "walk_in": 10,
    "building_head": 9,
    "open311": 5,
    "other": 4,
}

# title, content; {addr} is the address, {place} a short place name, {hour} an hour of the day.
REPORTS: dict[str, list[tuple[str, str]]] = {
    "noise": [
        (
            "楼上深夜噪音扰民",
            "{addr}楼上住户连续多晚在{hour}点后大声喧哗、拖动家具，严重影响休息，"
            "敲门沟通无果，请求民警上门处理。",
        ),
        (
            "广场舞音响声音过大",
            "{place}附近广场舞音响每天晚上放到{hour}点多，音量很大，"
            "家里老人小孩无法休息，希望协调降低音量、控制时间。",
        ),
        ("烧烤店夜间喧哗", "{addr}楼下烧烤店食客每晚喝酒划拳到凌晨，噪音扰民，多次反映未改善。"),
        ("KTV噪音扰民", "{place}一家KTV低音炮震动明显，{hour}点以后仍然很吵，请派人查看。"),
    ],
    "renovation_noise": [
        (
            "装修噪音影响休息",
            "{addr}隔壁装修，每天早上七点前就开始电钻、切割，中午也不停，"
            "严重影响休息，请求督促其按规定时间施工。",
        ),
        ("周末装修电钻声", "{addr}楼上周末全天装修砸墙，家中有高考学生，希望协调施工时间。"),
        ("夜间装修施工", "{addr}对面单元晚上{hour}点还在装修敲打，物业劝阻无效。"),
    ],
    "dangerous_dogs": [
        ("遛狗不牵绳", "{place}有居民遛大型犬不牵绳，犬只追扑路人，小孩被吓哭，请求处理。"),
        ("违规饲养烈性犬", "{addr}有住户饲养疑似烈性犬，经常在楼道狂吠，邻居不敢出门。"),
        (
            "被狗咬伤纠纷",
            "本人在{place}被邻居家的狗咬伤小腿，已到医院打疫苗，对方拒绝承担费用，请求调解。",
        ),
    ],
    "traffic_dispute": [
        (
            "车辆剐蹭赔偿纠纷",
            "在{place}路口与一辆电动车发生剐蹭，双方对责任和赔偿金额有争议，请求民警协助处理。",
        ),
        ("车辆堵塞通道", "{addr}楼下有车辆长期占用消防通道，联系不上车主，影响出行。"),
        ("停车位纠纷", "{addr}小区内私家车位被他人长期占用，协商不成发生争吵，请求调解。"),
    ],
    "neighbour_dispute": [
        (
            "楼道堆放杂物纠纷",
            "{addr}邻居在公共楼道堆放纸箱杂物，存在消防隐患，多次沟通发生口角，请求调解。",
        ),
        (
            "漏水引发邻里矛盾",
            "{addr}楼上卫生间漏水导致我家天花板发霉，对方不愿维修赔偿，双方矛盾激化。",
        ),
        (
            "宅基地边界纠纷",
            "{addr}与邻居因宅基地边界和围墙位置发生争执，差点动手，请求派出所调处。",
        ),
        ("空调外机噪音纠纷", "{addr}邻居把空调外机装在我家窗户旁边，噪音和热风很大，协商未果。"),
    ],
    "family_dispute": [
        (
            "家庭矛盾求助",
            "{addr}夫妻因家务和孩子教育问题经常争吵，今天又发生激烈争执，妻子打来电话求助。",
        ),
        ("赡养老人纠纷", "{addr}一位老人反映几个子女互相推诿，不履行赡养义务，希望调解。"),
        ("遗产分配纠纷", "{addr}兄弟姐妹因父母房产分配意见不一，多次争吵，请求帮助调解。"),
    ],
    "business_dispute": [
        ("消费纠纷", "在{place}一家超市购买的商品过期，商家拒绝退换，双方发生争执。"),
        ("拖欠货款纠纷", "本人给{place}一家饭店供应蔬菜，对方拖欠货款两万余元不付，请求协调。"),
        ("商铺租赁纠纷", "{place}商铺房东提前收回店面，拒不退还押金，双方协商未果。"),
    ],
    "property_dispute": [
        (
            "物业不处理电梯故障",
            "{addr}电梯故障一周无人维修，老人上下楼困难，物业一直推脱，业主与物业发生冲突。",
        ),
        ("物业费纠纷", "{addr}物业公司因业主欠缴物业费停水停电，双方发生争吵，请求处理。"),
        ("小区门禁纠纷", "{addr}物业更换门禁系统强制收费，业主不同意，门口发生推搡。"),
    ],
    "consultation": [
        ("咨询办事流程", "想咨询在{place}附近哪里可以办理无犯罪记录证明，需要带什么材料。"),
        ("咨询居住证办理", "外地来青川务工，咨询居住证怎么办理、多长时间能拿到。"),
    ],
    "consultation_id_card": [
        (
            "咨询身份证换领",
            "身份证快到期了，咨询换领需要带哪些材料，能不能在{place}附近派出所办理。",
        ),
        ("咨询身份证遗失补办", "身份证丢失，咨询补办流程、费用以及多久能拿到，能否办临时身份证。"),
        ("咨询异地办理身份证", "户口在外省，现在青川工作，咨询能否在本地办理身份证。"),
    ],
    "consultation_household": [
        ("咨询新生儿落户", "孩子刚出生，咨询新生儿落户需要哪些材料，在哪个窗口办理。"),
        ("咨询户口迁移", "在县城买了房，咨询户口从{place}迁入城关需要什么手续。"),
        ("咨询户籍证明", "单位要求开具户籍证明，咨询在哪里开、要带什么。"),
    ],
    "fraud_check": [
        (
            "疑似电信诈骗核查",
            "接到自称“客服”的电话，说我的快递丢失要理赔，让我下载软件共享屏幕，"
            "怀疑是诈骗，请求核实。",
        ),
        ("疑似刷单诈骗", "家人在网上做“刷单返利”已转账三千元，现在对方要求继续转账，担心被骗。"),
        ("冒充公检法电话", "接到自称公安局的电话，说我涉嫌洗钱要求转账到“安全账户”，请帮忙核实。"),
    ],
    "other": [
        ("反映路灯损坏", "{place}一段路灯坏了半个月，晚上很黑，存在安全隐患。"),
        ("反映流浪人员", "{place}附近有一名流浪人员连续几天露宿，天气转冷，希望有关部门救助。"),
        ("反映可疑人员", "{addr}楼下最近有陌生人频繁徘徊，挨家挨户推销，居民担心安全。"),
    ],
}
GENERIC_REPORTS = [
    ("群众来电反映问题", "{addr}居民来电反映相关问题，请求有关部门尽快处理并答复。"),
]

RESULTS: dict[str, list[str]] = {
    "noise": [
        "民警上门对噪音户进行批评教育，对方承诺晚上十点后不再喧哗，已回复诉求人。",
        "已联系社区网格员现场查看并劝导，当事人已降低音量，约定活动时间至晚上九点。",
    ],
    "renovation_noise": [
        "已联系装修业主及施工方，责令严格按照早八点至晚六点、午休不施工的规定作业。",
        "会同物业现场核查，施工方已调整作业时间，诉求人表示认可。",
    ],
    "dangerous_dogs": [
        "已约谈犬主，告知文明养犬规定，要求外出牵绳、佩戴嘴套，并登记犬只信息。",
        "经调解，犬主承担医疗费用共计一千二百元，双方达成和解。",
    ],
    "traffic_dispute": [
        "民警现场调解，双方按责任比例达成赔偿协议，当场履行完毕。",
        "已联系车主挪车并进行教育，通道已恢复畅通。",
    ],
    "neighbour_dispute": [
        "社区民警会同调解员组织双方调解，已达成书面协议，杂物已清理。",
        "经调解，楼上住户同意维修防水并赔偿损失，双方握手言和。",
    ],
    "family_dispute": [
        "民警及妇联工作人员上门调解，双方情绪稳定，承诺互相体谅。",
        "组织子女召开家庭会议，签订赡养协议，明确每月赡养费用。",
    ],
    "business_dispute": [
        "经调解，商家同意退货并赔偿，双方达成一致。",
        "已引导当事人通过人民调解委员会解决，对方同意分期支付欠款。",
    ],
    "property_dispute": [
        "已约谈物业负责人，电梯已于当日修复，物业承诺完善报修机制。",
        "会同住建部门调解，物业恢复供水供电，双方就欠费问题达成分期协议。",
    ],
    "consultation": ["已电话答复办理地点、所需材料和办理时限。"],
    "consultation_id_card": ["已答复换领材料及办理窗口，诉求人表示清楚。"],
    "consultation_household": ["已答复落户所需材料和办理流程。"],
    "fraud_check": [
        "经核实为诈骗电话，已提醒当事人切勿转账，相关号码已报送反诈中心。",
        "已协助当事人止付，资金冻结成功，已做防范宣传。",
    ],
    "other": [
        "已转告相关部门处理，现场问题已解决，已回复诉求人。",
        "民警已到现场核查并做好登记，加强该区域巡逻。",
    ],
}
GENERIC_RESULTS = ["已核实处理，并向诉求人反馈处理结果。"]

# Answers given on the phone: a consultation closed on the spot.
ANSWERS: dict[str, list[str]] = {
    "consultation": [
        "已告知：无犯罪记录证明可在户籍所在地派出所办理，携带身份证即可，当场出具。",
        "已告知：居住证凭身份证、租房合同到居住地派出所申领，十五个工作日内发证。",
    ],
    "consultation_id_card": [
        "已告知：换领携带原身份证及户口簿，到县政务服务中心公安窗口或各派出所户籍窗口办理，"
        "工作日九点至十七点。",
        "已告知：遗失补办需本人到场拍照采集指纹，可同时申领临时身份证，约二十个工作日领取。",
    ],
    "consultation_household": [
        "已告知：新生儿落户携带出生医学证明、父母身份证及户口簿，到父母户籍所在地派出所办理。",
        "已告知：户口迁入需携带房产证明、身份证、户口簿，到城关派出所户籍窗口办理。",
    ],
    "fraud_check": [
        "已核实：该电话为冒充客服诈骗，已提醒当事人挂断电话、卸载软件，未造成损失。",
    ],
}

# What the resident said on the follow-up call (回访), by outcome.
VISIT_NOTES: dict[str, list[str]] = {
    "satisfied": [
        "电话回访：群众对处理结果表示满意。",
        "电话回访：群众表示满意，感谢民警及时处理。",
        "回访：诉求已解决，群众满意。",
        "回访：群众称问题已彻底解决，对办理速度表示满意。",
    ],
    "basically_satisfied": [
        "电话回访：群众表示基本满意。",
        "回访：问题基本解决，群众希望后续继续关注。",
        "回访：群众认可处理结果，但认为办理时间稍长。",
    ],
    "dissatisfied": [
        "回访：群众表示问题没有解决，噪音依旧，要求再次处理。",
        "回访：群众称民警未上门核实，只电话了解情况，对处理结果不满意。",
        "回访：对方承诺的赔偿至今未履行，群众不满意，要求督促落实。",
        "回访：群众反映问题反弹，情况与处理前相同，不满意。",
    ],
    "unreachable": [
        "回访：电话无人接听。",
        "回访：对方电话关机。",
        "回访：电话占线，稍后再拨。",
        "回访：来电号码无法接通。",
    ],
}
# What a unit reports the second time, after a dissatisfied call sent the ticket back.
REDO_RESULTS = [
    "按督办要求再次上门核查，已督促当事人整改到位，并当面向诉求人说明处理情况。",
    "会同社区网格员复查，问题已解决，诉求人现场确认。",
    "再次组织双方调解，协议已履行完毕，已回复诉求人。",
]
# A supervisor's note on an order issued by hand.
MANUAL_NOTES = [
    "群众反映强烈，请承办单位加快办理，按期反馈。",
    "该诉求涉及老人和儿童安全，请优先办理。",
    "同类问题近期多次反映，请承办单位深入核查、彻底解决。",
]
# A repeat report (重复反映): the resident calls again about the same matter.
REPEAT_PREFIX = "此前已反映（工单{number}），问题仍未解决，再次来电要求尽快处理。"
INVALID_REASONS = [
    "来电无实际诉求，属于无效来电。",
    "重复来电，前单已在办理中。",
    "经核实为误拨，无需处理。",
    "来电人拒绝提供任何信息，无法核实。",
]
RETURN_REASONS = [
    "经核实，事发地属{station}辖区，不属本所管辖，请改派。",
    "该地址在{station}辖区，申请退回重新交办。",
]


# ---------------------------------------------------------------------------------------------
# The organisation and the people.
# ---------------------------------------------------------------------------------------------


@dataclass
class Place:
    """A community or village with its station and grids: where a ticket's matter happens."""

    unit: Unit
    station: Unit
    town: str
    village: bool
    grids: list[Unit]


def community_code(station_index: int, community_index: int) -> str:
    return f"QC-C{station_index:02d}{community_index:02d}"


def create_organisation() -> None:
    """The bureau, its command centre, stations, communities and grids, with stable codes."""
    bureau_code, name, name_en = BUREAU
    create_unit(code=bureau_code, kind=UnitKind.BUREAU, name=name, name_en=name_en)
    code, name, name_en = CENTRE
    create_unit(code=code, kind=UnitKind.CENTRE, name=name, name_en=name_en, parent=bureau_code)
    grid_number = 0
    for s_index, (s_code, s_name, s_name_en, _town, communities) in enumerate(STATIONS, 1):
        create_unit(
            code=s_code, kind=UnitKind.STATION, name=s_name, name_en=s_name_en, parent=bureau_code
        )
        for c_index, (c_name, c_name_en, _village, grids) in enumerate(communities, 1):
            c_code = community_code(s_index, c_index)
            create_unit(
                code=c_code, kind=UnitKind.COMMUNITY, name=c_name, name_en=c_name_en, parent=s_code
            )
            for g_index in range(grids):
                grid_number += 1
                create_unit(
                    code=f"QC-G{grid_number:02d}",
                    kind=UnitKind.GRID,
                    name=f"{c_name}第{GRID_ORDINALS[g_index]}网格",
                    name_en=f"{c_name_en.rsplit(' ', 1)[0]} Grid {g_index + 1}",
                    parent=c_code,
                )


def create_people() -> dict[str, User]:
    """One login per demo person, through the real action (and its password rules)."""
    return {
        username: create_person(
            username=username, role=role, unit=unit, password=DEMO_PASSWORD, full_name=full_name
        )
        for username, role, unit, full_name in PEOPLE
    }


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, role, unit, password) of the demo people present in the database."""
    names = [username for username, _role, _unit, _full in PEOPLE]
    found = {
        user.username: user
        for user in User.objects.filter(username__in=names).select_related("unit")
    }
    rows = []
    for username in names:
        user = found.get(username)
        if user is not None:
            unit = f"{user.unit.code} {user.unit.name}" if user.unit else ""
            rows.append((username, user.role, unit, DEMO_PASSWORD))
    return rows


# ---------------------------------------------------------------------------------------------
# Tickets.
# ---------------------------------------------------------------------------------------------

# How many tickets come in at each hour of the day, relatively.
HOUR_WEIGHTS = [
    0.4, 0.25, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.6, 3.4, 3.5, 3.0,
    2.2, 2.4, 3.0, 3.2, 3.0, 2.6, 2.3, 2.6, 2.7, 2.2, 1.4, 0.8,
]  # fmt: skip

# Where a ticket sent to a unit stands now, by its age in hours (upper bound of each band).
STATUS_BY_AGE: list[tuple[float, dict[str, float]]] = [
    (2, {"new": 50, "dispatched": 35, "in_progress": 15}),
    (24, {"new": 8, "dispatched": 30, "in_progress": 45, "resolved": 17}),
    (120, {"new": 3, "dispatched": 10, "in_progress": 40, "resolved": 20, "closed": 27}),
    (360, {"new": 1.5, "dispatched": 3, "in_progress": 10, "resolved": 10, "closed": 75.5}),
    (1e12, {"new": 0.6, "dispatched": 0.3, "in_progress": 1.0, "resolved": 1.2, "closed": 96.9}),
]
# Channels that send their own reference and time received (the others are registered live).
REFERENCED_CHANNELS = ("hotline_12345", "online_platform", "open311")

# Follow-up calls. Each round of calls after a resolution ends with the resident reached, or
# with the third unanswered call; a dissatisfied resident sends the ticket back (a new round
# follows its second resolution). Unanswered calls before the resident is reached, per round:
UNANSWERED_WEIGHTS = {0: 84, 1: 10, 2: 4, 3: 2}  # 3: closed as unreachable
# Dissatisfied rounds before the last one, for a ticket that ends closed.
DISSATISFIED_ROUNDS = {0: 955, 1: 40, 2: 5}
# Of the residents reached at last: satisfied or basically satisfied.
REACHED_WEIGHTS = {"satisfied": 80, "basically_satisfied": 20}
# A 12345 ticket's call is sometimes made by the platform, which reports the outcome itself.
CHANNEL_CALLS = ("hotline_12345",)

# Repeat reports (重复反映): a share of the tickets sent to a unit are matters the resident
# will report again; a share of new tickets are such repeats, of a matter from the last 30 days.
REPEAT_PRONE = 0.05
REPEAT_RATE = 0.025
REPEAT_WINDOW = dt.timedelta(days=30)
# Supervision orders issued by a supervisor's hand, on this share of tickets a unit handles.
MANUAL_ORDER_RATE = 0.02

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# SQLite's page cache while the demo loads (KiB).
LOAD_CACHE_KIB = 256 * 1024


def _seconds(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.randint(int(low), int(high)))


def split_evenly(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainders: the same every time."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass(slots=True)
class OrderDraft:
    """A supervision order (督办单) as the demo builds it. Its number is given once every order
    of its day is known, so that a day's numbers follow the order of issue, as the sweep's do."""

    ticket_pk: int
    unit_id: int
    reason: str
    level: int
    issued_at: dt.datetime
    issued_by_id: int | None
    due_at: dt.datetime
    breached_due_at: dt.datetime | None
    note: str
    day: dt.date
    fulfilled_at: dt.datetime | None = None
    # The later order on the ticket that took this one's place while it was open.
    superseded_by: OrderDraft | None = None
    # The orders this one superseded, gathered once the ticket's story is final.
    supersedes: list[OrderDraft] = field(default_factory=list)
    number: str = ""

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and self.superseded_by is None

    def columns(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "ticket_id": self.ticket_pk,
            "unit_id": self.unit_id,
            "reason": self.reason,
            "level": self.level,
            "issued_at": self.issued_at,
            "issued_by_id": self.issued_by_id,
            "due_at": self.due_at,
            "breached_due_at": self.breached_due_at,
            "fulfilled_at": self.fulfilled_at,
            "note": self.note,
        }


@dataclass(slots=True)
class Step:
    """One event of a ticket's timeline, before it becomes a `TicketEvent`. A "supervise" step
    names its order, a "resolve" step the orders it fulfilled: their numbers come later."""

    kind: str
    at: dt.datetime
    actor: int | None
    to_status: str
    payload: dict[str, Any]
    order: OrderDraft | None = None
    fulfils: list[OrderDraft] | None = None


@dataclass
class Recent:
    """A ticket generated a little earlier, that a later duplicate may be merged into."""

    pk: int
    number: str
    registered_at: dt.datetime
    changes: list[tuple[dt.datetime, str]]

    def status_at(self, moment: dt.datetime) -> str:
        status = ""
        for at, to_status in self.changes:
            if at <= moment:
                status = to_status
        return status

    def clear_of(self, moment: dt.datetime) -> dt.datetime:
        """`moment`, or the first second after it when none of this ticket's own events
        happen: an event written on it by another ticket then falls clearly between them."""
        taken = {at for at, _status in self.changes}
        while moment in taken:
            moment += SECOND
        return moment


@dataclass
class Matter:
    """A ticket whose resident may report the same matter again (重复反映)."""

    recent: Recent
    place: Place
    category: Category
    grid_id: int | None
    title: str
    content: str
    address: str
    resident_name: str
    resident_phone: str
    # Its planned state: a matter still open is the likelier to be reported again.
    open_end: bool
    repeats: int = 0


@dataclass(slots=True)
class TicketRow:
    """A ticket as the demo builds it: plain attributes, written without model instances."""

    pk: int
    number: str
    channel: str
    external_id: str | None
    category: Category
    grid_id: int | None
    title: str
    content: str
    address: str
    resident_name: str
    resident_phone: str
    received_at: dt.datetime
    registered_at: dt.datetime
    registered_by_id: int
    first_handler_id: int | None
    status: str = Status.NEW
    unit: Unit | None = None
    dispatched_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    due_basis: str = ""
    accepted_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    result: str = ""
    close_note: str = ""
    merged_into_id: int | None = None
    version: int = 1
    supervision_level: int = 0
    breached_at: dt.datetime | None = None
    visit_outcome: str = ""
    repeat_count: int = 0
    repeat_of_id: int | None = None

    def columns(self) -> dict[str, Any]:
        """Values by column name (`attname`)."""
        return {
            "id": self.pk,
            "number": self.number,
            "status": self.status,
            "channel": self.channel,
            "external_id": self.external_id,
            "category_id": self.category.pk,
            "unit_id": self.unit.pk if self.unit is not None else None,
            "grid_id": self.grid_id,
            "title": self.title,
            "content": self.content,
            "address": self.address,
            "resident_name": self.resident_name,
            "resident_phone": self.resident_phone,
            "received_at": self.received_at,
            "registered_at": self.registered_at,
            "registered_by_id": self.registered_by_id,
            "first_handler_id": self.first_handler_id,
            "dispatched_at": self.dispatched_at,
            "due_at": self.due_at,
            "due_basis": self.due_basis,
            "accepted_at": self.accepted_at,
            "resolved_at": self.resolved_at,
            "closed_at": self.closed_at,
            "result": self.result,
            "close_note": self.close_note,
            "merged_into_id": self.merged_into_id,
            "version": self.version,
            "supervision_level": self.supervision_level,
            "breached_at": self.breached_at,
            "visit_outcome": self.visit_outcome,
            "repeat_count": self.repeat_count,
            "repeat_of_id": self.repeat_of_id,
        }


# Column types whose Python values the database drivers take as they are.
PLAIN_TYPES = frozenset(
    {
        "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
        "ForeignKey", "IntegerField", "PositiveBigIntegerField", "PositiveIntegerField",
        "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField",
    }
)  # fmt: skip


def _prepare(item: Any, value: Any) -> Any:
    return item.get_db_prep_save(value, connection)


def _sqlite_datetime(value: dt.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (UTC, naive text), only faster:
    the ISO text of the UTC time without its "+00:00"."""
    return value.astimezone(dt.UTC).isoformat(" ")[:-6]


def _sqlite_json(value: Any) -> str:
    """What Django's SQLite backend stores for a JSONField without an encoder, only faster."""
    return json.dumps(value)


@contextlib.contextmanager
def _full_text_index_built_after() -> Iterator[None]:
    """On SQLite, index the tickets for full-text search once, after they are all written.

    A trigger adds each new ticket to the FTS5 index (the search migration); for a bulk load
    that is half the cost of a ticket's insert, while rebuilding the index at the end takes a
    fraction of it. The insert triggers that feed an FTS5 table whose content is the tickets
    table are set aside meanwhile, then created again as they were, and the index rebuilt.
    """
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE %s",
            ["CREATE VIRTUAL TABLE%USING fts5%"],
        )
        content = re.compile(rf"\bcontent\s*=\s*['\"]?{re.escape(table)}['\"]?\s*[,)]")
        indexes = [name for name, sql in cursor.fetchall() if content.search(sql)]
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [table],
        )
        triggers = [
            (name, sql)
            for name, sql in cursor.fetchall()
            if re.search(r"\bAFTER\s+INSERT\b", sql, re.IGNORECASE)
            and any(re.search(rf"\bINSERT\s+INTO\s+{re.escape(index)}\b", sql) for index in indexes)
        ]
    if not triggers:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
            for index in indexes:
                quoted = connection.ops.quote_name(index)
                cursor.execute(f"INSERT INTO {quoted} ({quoted}) VALUES ('rebuild')")


class BulkWriter:
    """INSERTs plain rows (dicts by column name) with one prepared statement: no model instances.

    Every concrete column of the model is written; a column a row does not give gets the field's
    default, so columns added to the model later are filled as the ORM would fill them.
    """

    def __init__(self, model: type[Model], *, with_pk: bool) -> None:
        fields = [item for item in model._meta.concrete_fields if with_pk or not item.primary_key]
        self.names = [item.attname for item in fields]
        # What the ORM would put in a column a row leaves out ("" for text, None for nullable
        # columns, the field's default otherwise; a callable default is called for each row).
        self.constants: dict[str, Any] = {}
        self.factories: dict[str, Callable[[], Any]] = {}
        for item in fields:
            if item.has_default() and callable(item.default):
                self.factories[item.attname] = item.get_default
            else:
                self.constants[item.attname] = item.get_default()
        ops = connection.ops
        self.adapters: list[Callable[[Any], Any] | None] = []
        for item in fields:
            kind = item.get_internal_type()
            if kind == "DateTimeField":
                self.adapters.append(
                    _sqlite_datetime
                    if connection.vendor == "sqlite"
                    else ops.adapt_datetimefield_value
                )
            elif kind in PLAIN_TYPES:
                self.adapters.append(None)
            elif (
                kind == "JSONField"
                and connection.vendor == "sqlite"
                and getattr(item, "encoder", None) is None
            ):
                self.adapters.append(_sqlite_json)
            else:
                self.adapters.append(functools.partial(_prepare, item))
        table = ops.quote_name(model._meta.db_table)
        columns = ", ".join(ops.quote_name(item.column) for item in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        constants, factories = self.constants, self.factories
        made = frozenset(factories)
        pick = operator.itemgetter(*self.names)
        adapters = [(index, adapt) for index, adapt in enumerate(self.adapters) if adapt]
        values = []
        for row in rows:
            if made and not made <= row.keys():
                row = {name: factory() for name, factory in factories.items()} | row
            record = list(pick(constants | row))
            for index, adapt in adapters:
                value = record[index]
                if value is not None:
                    record[index] = adapt(value)
            values.append(record)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, values)


# The ticket's fields the tail of its life changes: saved before trying a natural pace, put
# back when that pace does not fit before "now".
TAIL_FIELDS = (
    "status", "due_at", "due_basis", "supervision_level", "breached_at", "resolved_at",
    "result", "closed_at", "close_note", "visit_outcome",
)  # fmt: skip
# Events that do not bump the ticket's version (no transition, no supervision order).
UNVERSIONED = frozenset({"intake", "visit", "repeat_of"})
OPEN_STATUSES = frozenset({Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED})
RUNNING = frozenset(CLOCK_RUNNING)


@dataclass
class Draft:
    """A ticket being generated: the row, its timeline, the units that held it, its orders
    and follow-up calls."""

    ticket: TicketRow
    place: Place
    rng: random.Random
    steps: list[Step] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    orders: list[OrderDraft] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    # Unanswered calls since the ticket was last resolved (three close it).
    unanswered: int = 0

    def add(self, kind: str, at: dt.datetime, actor: int | None, to_status: str | None,
            payload: dict[str, Any], *, order: OrderDraft | None = None,
            fulfils: list[OrderDraft] | None = None) -> None:  # fmt: skip
        """One event; `to_status` None: the status stays."""
        status = to_status or self.ticket.status
        self.steps.append(Step(kind, at, actor, status, payload, order, fulfils))
        self.ticket.status = status

    def checkpoint(self) -> tuple[Any, ...]:
        return (
            len(self.steps),
            len(self.orders),
            len(self.visits),
            self.unanswered,
            [getattr(self.ticket, name) for name in TAIL_FIELDS],
            [(order.fulfilled_at, order.superseded_by) for order in self.orders],
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        steps, orders, visits, self.unanswered, values, closed = saved
        del self.steps[steps:], self.orders[orders:], self.visits[visits:]
        for name, value in zip(TAIL_FIELDS, values, strict=True):
            setattr(self.ticket, name, value)
        for order, (at, by) in zip(self.orders, closed, strict=True):
            order.fulfilled_at, order.superseded_by = at, by


@dataclass
class Batch:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    # (earlier order, the later one that superseded it) by number, the later one in `orders`.
    supersessions: list[tuple[str, str]] = field(default_factory=list)
    # Tickets written in an earlier batch that were reported again: pk → how many more times.
    repeats: dict[int, int] = field(default_factory=dict)


class TicketGenerator:
    """Makes N tickets over the `days` days up to `now`, the same for the same seed and `now`.

    Tickets are made day by day in order of registration and numbered per registration day as
    the intake numbers them, then written with bulk inserts every `batch_size` tickets.

    Each timeline is what the domain functions and the worker would have written: every
    deadline a ticket missed while a unit held it has its overdue supervision order, issued the
    second after it (as the sweep does), raising the level and moving the deadline; resolving
    fulfils the open orders; a resolved ticket is called back (record_visit) until it closes,
    and a dissatisfied call reopens it with an order. One exception: when the deadline an open
    ticket runs on now has passed, that breach is left to the worker's first sweep, so the
    demo shows overdue tickets and the sweep has work to do.
    """

    def __init__(
        self,
        *,
        seed: int,
        now: dt.datetime,
        people: dict[str, User],
        batch_size: int = 5000,
        days: int = 90,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.zone = local_zone()
        self.now = now.astimezone(self.zone)
        self.latest = self.now - MINUTE  # every event happens at least a minute before now
        self.days = days
        self.batch_size = batch_size
        self.progress = progress
        self.first_day = self.now.date() - dt.timedelta(days=days - 1)
        self.window_start = dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.zone)

        by_role: dict[str, list[User]] = {}
        for user in people.values():
            by_role.setdefault(user.role, []).append(user)
        self.dispatchers = [user.pk for user in by_role.get(Role.DISPATCHER, [])]
        if not self.dispatchers:
            raise ValueError("the demo needs a dispatcher")
        self.handlers: dict[int, int] = {}
        for user in by_role.get(Role.UNIT_HANDLER, []):
            if user.unit_id is not None:
                self.handlers.setdefault(user.unit_id, user.pk)
        self.building_head = next((u.pk for u in by_role.get(Role.BUILDING_HEAD, [])), None)
        self.grid_officer = next((u.pk for u in by_role.get(Role.GRID_OFFICER, [])), None)
        self.supervisor = next((u.pk for u in by_role.get(Role.SUPERVISOR, [])), None)

        self.places = self._places()
        self.stations = sorted({p.station.pk: p.station for p in self.places}.values(),
                               key=lambda unit: unit.code)  # fmt: skip
        self.categories = list(Category.objects.filter(is_active=True).order_by("code"))
        if not self.categories:
            raise ValueError("there are no active categories")
        self.category_weights = [CATEGORY_WEIGHTS.get(item.code, 3) for item in self.categories]
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = [CHANNEL_WEIGHTS[channel] for channel in self.channels]
        self.order_days = {reason: order_days(reason) for reason in SupervisionReason.values}

        # One calendar for every deadline of the run: no query per ticket.
        self.oracle = WorkdayOracle(self.first_day - DAY, self.now.date() + dt.timedelta(days=60))
        self.next_pk = (Ticket.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.sequences: dict[dt.date, int] = dict(
            DailySequence.objects.filter(prefix=TICKET_PREFIX, day__gte=self.first_day)
            .values_list("day", "last")
        )  # fmt: skip
        self.touched_days: set[dt.date] = set()
        self.order_sequences: dict[dt.date, int] = dict(
            DailySequence.objects.filter(prefix=ORDER_PREFIX, day__gte=self.first_day)
            .values_list("day", "last")
        )  # fmt: skip
        self.touched_order_days: set[dt.date] = set()
        # Orders waiting for their numbers, by day of issue; the events of their tickets, by
        # the day of each ticket's last order.
        self.unnumbered: dict[dt.date, list[OrderDraft]] = {}
        self.held_events: dict[dt.date, list[tuple[int, list[Step]]]] = {}
        self.recent: dict[int, deque[Recent]] = {c.pk: deque(maxlen=12) for c in self.categories}
        self.matters: list[Matter] = []
        self.matters_start = 0
        self.batch = Batch()
        # The rows of the batch not written yet, by pk (a repeat may still change its count).
        self.unwritten: dict[int, dict[str, Any]] = {}
        self.writers = {
            "tickets": BulkWriter(Ticket, with_pk=True),
            "events": BulkWriter(TicketEvent, with_pk=False),
            "holdings": BulkWriter(TicketUnit, with_pk=False),
            "visits": BulkWriter(Visit, with_pk=False),
            "orders": BulkWriter(SupervisionOrder, with_pk=False),
        }
        self.created = 0
        self.serial = 0
        self.counts: dict[str, int] = dict.fromkeys(("orders", "visits", "repeats"), 0)

    def _places(self) -> list[Place]:
        units = {unit.code: unit for unit in Unit.objects.filter(code__startswith="QC-")}
        grids_of: dict[int, list[Unit]] = {}
        for unit in units.values():
            if unit.kind == UnitKind.GRID and unit.parent_id is not None:
                grids_of.setdefault(unit.parent_id, []).append(unit)
        places = []
        for s_index, (s_code, _name, _name_en, town, communities) in enumerate(STATIONS, 1):
            for c_index, (_c_name, _c_name_en, village, _grids) in enumerate(communities, 1):
                community = units[community_code(s_index, c_index)]
                grids = sorted(grids_of.get(community.pk, []), key=lambda grid: grid.code)
                places.append(Place(community, units[s_code], town, village, grids))
        return places

    # -- when ---------------------------------------------------------------------------------

    def day_counts(self, total: int) -> list[tuple[dt.date, int]]:
        """How many tickets are registered on each day: fewer at weekends, today so far."""
        today = self.now.date()
        days = [self.first_day + dt.timedelta(days=k) for k in range(self.days)]
        weights = []
        for day in days:
            weight = (1.0 if day.weekday() < 5 else 0.75) * self.rng.uniform(0.85, 1.15)
            if day == today:
                midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
                hours = (self.now - midnight).total_seconds() / 3600
                whole = int(hours)
                mass = sum(HOUR_WEIGHTS[:whole]) + HOUR_WEIGHTS[min(whole, 23)] * (hours - whole)
                weight *= mass / sum(HOUR_WEIGHTS)
            weights.append(weight)
        return list(zip(days, split_evenly(total, weights), strict=True))

    def registration_times(self, day: dt.date, count: int, rng: random.Random) -> list[dt.datetime]:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
        limit = min(self.latest - midnight, DAY)
        times = []
        for _ in range(count):
            offset = None
            for _attempt in range(20):
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                candidate = dt.timedelta(hours=hour, seconds=rng.randrange(3600))
                if candidate < limit:
                    offset = candidate
                    break
            if offset is None:
                offset = dt.timedelta(seconds=rng.randrange(max(int(limit.total_seconds()), 1)))
            times.append(midnight + offset)
        times.sort()
        return times

    # -- the run ------------------------------------------------------------------------------

    def run(self, total: int) -> int:
        if connection.vendor != "sqlite":
            return self._run(total)
        # The ticket table has a dozen indexes and a full-text index: with SQLite's default
        # cache of 2 MiB a million inserts keep re-reading their pages. Give this connection
        # a larger cache while it loads, then put it back.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            (previous,) = cursor.fetchone()
            cursor.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
        try:
            with _full_text_index_built_after():
                return self._run(total)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")

    def _run(self, total: int) -> int:
        for day, count in self.day_counts(total):
            day_rng = random.Random(self.rng.getrandbits(64))
            for registered_at in self.registration_times(day, count, day_rng):
                # A generator of its own per ticket: what one ticket draws never shifts the next.
                self._ticket(registered_at, random.Random(day_rng.getrandbits(64)))
                if len(self.batch.tickets) >= self.batch_size:
                    self.flush()
            # Every order issued on this day or before is known now: number them.
            self._number_orders(through=day)
        self._number_orders(through=None)
        self.flush()
        return self.created

    def flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        self.unwritten = {}
        if not (batch.tickets or batch.events or batch.orders):
            return
        with transaction.atomic():
            self.writers["tickets"].write(batch.tickets)
            if batch.repeats:
                table = connection.ops.quote_name(Ticket._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET repeat_count = repeat_count + %s WHERE id = %s",
                        [(count, pk) for pk, count in sorted(batch.repeats.items())],
                    )
            self.writers["events"].write(batch.events)
            self.writers["holdings"].write(batch.holdings)
            self.writers["visits"].write(batch.visits)
            self.writers["orders"].write(batch.orders)
            if batch.supersessions:
                # The earlier order may have been written in an earlier batch, and the later
                # one's id is the database's: link them by number, once both rows are in.
                table = connection.ops.quote_name(SupervisionOrder._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET superseded_by_id = "
                        f"(SELECT later.id FROM {table} later WHERE later.number = %s) "
                        "WHERE number = %s",
                        [(later, earlier) for earlier, later in batch.supersessions],
                    )
            # Where the intake and the sweep go on numbering tickets and orders after the demo.
            DailySequence.objects.bulk_create(
                [
                    *(
                        DailySequence(prefix=TICKET_PREFIX, day=day, last=self.sequences[day])
                        for day in sorted(self.touched_days)
                    ),
                    *(
                        DailySequence(prefix=ORDER_PREFIX, day=day, last=self.order_sequences[day])
                        for day in sorted(self.touched_order_days)
                    ),
                ],
                update_conflicts=True,
                unique_fields=["prefix", "day"],
                update_fields=["last"],
            )
            self.touched_days.clear()
            self.touched_order_days.clear()
            # Explicit keys leave PostgreSQL's sequences behind: move them past what we wrote.
            if connection.vendor != "sqlite" and batch.tickets:
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket]):
                        cursor.execute(sql)
        self.created += len(batch.tickets)
        self.counts["visits"] += len(batch.visits)
        self.counts["orders"] += len(batch.orders)
        if self.progress is not None and batch.tickets:
            self.progress(self.created)

    def _number_orders(self, *, through: dt.date | None) -> None:
        """Number the orders issued on days up to `through` (all: None) in order of issue, as
        the sweep and record_visit would have (the sweep takes a day's breaches by ticket),
        then release the events of the tickets whose orders all have their numbers."""
        for day in sorted(self.unnumbered):
            if through is not None and day > through:
                break
            orders = self.unnumbered.pop(day)
            orders.sort(key=lambda order: (order.issued_at, order.ticket_pk))
            last = self.order_sequences.get(day, 0)
            for order in orders:
                last += 1
                order.number = f"{ORDER_PREFIX}{day:%Y%m%d}-{last:04d}"
                self.batch.orders.append(order.columns())
                # The orders it superseded were issued before it: numbered already.
                self.batch.supersessions += [
                    (earlier.number, order.number) for earlier in order.supersedes
                ]
            self.order_sequences[day] = last
            self.touched_order_days.add(day)
        for day in sorted(self.held_events):
            if through is not None and day > through:
                break
            for pk, steps in self.held_events.pop(day):
                self._write_events(pk, steps)

    # -- one ticket ---------------------------------------------------------------------------

    def _number(self, registered_at: dt.datetime) -> str:
        day = registered_at.date()
        last = self.sequences.get(day, 0) + 1
        self.sequences[day] = last
        self.touched_days.add(day)
        return f"{TICKET_PREFIX}{day:%Y%m%d}-{last:04d}"

    def _external_id(self, channel: str, registered_at: dt.datetime) -> str | None:
        self.serial += 1
        if channel == "hotline_12345":
            return f"12345-{registered_at:%Y%m%d}-{self.serial:07d}"
        if channel == "online_platform":
            return f"SLB{registered_at:%y%m%d}{self.serial:07d}"
        if channel == "open311":
            return f"311-{self.serial:08d}"
        return None

    @staticmethod
    def _resident(rng: random.Random) -> tuple[str, str]:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        return name, phone

    @staticmethod
    def _address(place: Place, rng: random.Random) -> tuple[str, str]:
        """A full address in `place`, and a short name of the spot for the content."""
        county = "青川县" + place.town
        if place.village:
            return f"{county}{place.unit.name}{rng.randint(1, 9)}组{rng.randint(1, 80)}号", (
                place.unit.name
            )
        if rng.random() < 0.2:
            street = rng.choice(STREETS)
            return f"{county}{street}{rng.randint(1, 300)}号", street
        compound = rng.choice(COMPOUNDS)
        building, entrance, floor = rng.randint(1, 18), rng.randint(1, 4), rng.randint(1, 18)
        room = f"{floor}0{rng.randint(1, 4)}"
        return f"{county}{place.unit.name}{compound}{building}栋{entrance}单元{room}室", compound

    def _ticket(self, registered_at: dt.datetime, rng: random.Random) -> None:
        category = rng.choices(self.categories, weights=self.category_weights)[0]
        channel = rng.choices(self.channels, weights=self.channel_weights)[0]
        place = rng.choice(self.places)
        address, spot = self._address(place, rng)
        resident_name, phone = self._resident(rng)
        title, content = rng.choice(REPORTS.get(category.code) or GENERIC_REPORTS)
        content = content.format(addr=address, place=spot, hour=rng.choice((22, 23, 0, 1)))
        grid = rng.choice(place.grids) if place.grids and rng.random() < 0.85 else None
        grid_id = grid.pk if grid is not None else None
        # Drawn before the timeline, whose length depends on the calendar: the same tickets
        # come out a week later, only the deadlines move.
        prone = rng.random() < REPEAT_PRONE
        repeated = self._repeated_matter(registered_at, rng) if rng.random() < REPEAT_RATE else None
        if repeated is not None:
            # The same resident about the same matter: the same place, category and words.
            category, place, grid_id = repeated.category, repeated.place, repeated.grid_id
            address, title = repeated.address, repeated.title
            resident_name, phone = repeated.resident_name, repeated.resident_phone
            content = REPEAT_PREFIX.format(number=repeated.recent.number) + repeated.content
        # A platform's own time received comes up to 90 minutes before our intake; a call or a
        # visit, minutes before the form is saved.
        referenced = channel in REFERENCED_CHANNELS
        delay = _seconds(rng, 60, 5400) if referenced else _seconds(rng, 0, 300)
        received_at = max(registered_at - delay, self.window_start)
        if channel == "building_head" and self.building_head is not None:
            registrar = self.building_head
        elif channel == "other" and self.grid_officer is not None and rng.random() < 0.5:
            registrar = self.grid_officer
        else:
            registrar = rng.choice(self.dispatchers)
        ticket = TicketRow(
            pk=self.next_pk,
            number=self._number(registered_at),
            status=Status.NEW,
            channel=channel,
            external_id=self._external_id(channel, registered_at),
            category=category,
            grid_id=grid_id,
            title=title,
            content=content,
            address=address,
            resident_name=resident_name,
            resident_phone=phone,
            received_at=received_at,
            registered_at=registered_at,
            registered_by_id=registrar,
            first_handler_id=registrar if registrar in self.dispatchers else None,
        )
        self.next_pk += 1
        draft = Draft(ticket, place, rng)
        draft.add("intake", registered_at, registrar, Status.NEW,
                  {"channel": channel, "external_id": ticket.external_id})  # fmt: skip
        if repeated is not None:
            self._mark_repeat(draft, repeated, registrar)
        self._lifecycle(draft, repeat=repeated is not None)
        self._emit(draft)
        if prone and repeated is None and ticket.dispatched_at is not None:
            self.matters.append(
                Matter(
                    recent=Recent(ticket.pk, ticket.number, registered_at,
                                  [(step.at, step.to_status) for step in draft.steps]),
                    place=place, category=category, grid_id=grid_id, title=title,
                    content=content, address=address, resident_name=resident_name,
                    resident_phone=phone, open_end=ticket.status in OPEN_STATUSES,
                )
            )  # fmt: skip

    # -- repeats ------------------------------------------------------------------------------

    def _repeated_matter(self, at: dt.datetime, rng: random.Random) -> Matter | None:
        """An earlier matter of the last 30 days that this call reports again, if any: one
        still open, or already reported again, is the likelier."""
        matters = self.matters
        start = self.matters_start
        while start < len(matters) and matters[start].recent.registered_at < at - REPEAT_WINDOW:
            start += 1
        if start > 4096 and start * 2 > len(matters):
            del matters[:start]
            start = 0
        self.matters_start = start
        size = len(matters) - start
        if size <= 0:
            return None
        drawn = [matters[start + rng.randrange(size)] for _ in range(6)]
        eligible = [
            matter
            for matter in drawn
            if matter.recent.registered_at <= at - 2 * HOUR
            # Invalid and merged tickets cannot be repeated; those times do not depend on
            # the calendar, so a later run picks the same matters.
            and matter.recent.status_at(at) not in ("", Status.INVALID, Status.MERGED)
            # Its own events never share the second of the repeat event written on it.
            and matter.recent.clear_of(at) == at
        ]
        if not eligible:
            return None
        weights = [(3 if item.open_end else 1) * (1 + min(item.repeats, 2)) for item in eligible]
        return rng.choices(eligible, weights=weights)[0]

    def _mark_repeat(self, draft: Draft, matter: Matter, registrar: int) -> None:
        """As `mark_repeat` does (kept open and linked), while the call is registered."""
        ticket = draft.ticket
        earlier = matter.recent
        at = ticket.registered_at
        marker = registrar if registrar in self.dispatchers else draft.rng.choice(self.dispatchers)
        matter.repeats += 1
        ticket.repeat_of_id = earlier.pk
        row = self.unwritten.get(earlier.pk)
        if row is not None:
            row["repeat_count"] = matter.repeats
        else:
            self.batch.repeats[earlier.pk] = self.batch.repeats.get(earlier.pk, 0) + 1
        status = earlier.status_at(at)
        self.batch.events.append(
            {
                "ticket_id": earlier.pk,
                "kind": "repeat",
                "actor_id": marker,
                "at": at,
                "from_status": status,
                "to_status": status,
                "payload": {"from": ticket.number, "repeat_count": matter.repeats},
            }
        )
        draft.add("repeat_of", at, marker, None, {"of": earlier.number})
        self.counts["repeats"] += 1

    # -- the timeline -------------------------------------------------------------------------

    def _lifecycle(self, draft: Draft, *, repeat: bool = False) -> None:
        ticket, rng = draft.ticket, draft.rng
        room = self.latest - ticket.registered_at
        code = ticket.category.code
        dispatcher = rng.choice(self.dispatchers)
        roll = rng.random()
        # A matter reported again goes to a unit, whatever it is: it is never answered on the
        # spot, invalidated or merged here.
        if repeat:
            roll = 1.0
        if code in ANSWERS and roll < (0.6 if code.startswith("consultation") else 0.25):
            # Answered on the phone: closed straight from new, resolved at the same moment.
            at = ticket.registered_at + min(_seconds(rng, 60, 1800), room * 0.8)
            if at - ticket.registered_at >= SECOND:
                note = rng.choice(ANSWERS[code])
                ticket.resolved_at = ticket.closed_at = at
                ticket.result = ticket.close_note = note
                draft.add("close", at, dispatcher, Status.CLOSED, {"note": note})
            return
        elif roll < 0.03:
            at = ticket.registered_at + min(_seconds(rng, 300, 7200), room * 0.8)
            if at - ticket.registered_at >= SECOND:
                reason = rng.choice(INVALID_REASONS)
                ticket.closed_at, ticket.close_note = at, reason
                draft.add("invalidate", at, dispatcher, Status.INVALID, {"reason": reason})
            return
        elif roll < 0.06 and self._merge(draft, dispatcher, room):
            return
        if room < 10 * MINUTE:
            return  # just registered: waiting for the dispatcher
        self._handled(draft, dispatcher, room)

    def _merge(self, draft: Draft, dispatcher: int, room: dt.timedelta) -> bool:
        """Merge a duplicate into an earlier ticket of the same category from the last week."""
        ticket, rng = draft.ticket, draft.rng
        at = ticket.registered_at + min(_seconds(rng, 300, 7200), room * 0.8)
        candidates = [
            item
            for item in self.recent[ticket.category.pk]
            if ticket.registered_at - item.registered_at < 7 * DAY
            and item.status_at(at) not in ("", Status.INVALID, Status.MERGED)
        ]
        if not candidates or at - ticket.registered_at < SECOND:
            return False
        target = rng.choice(candidates)
        at = target.clear_of(at)
        if at > self.latest:
            return False
        ticket.closed_at, ticket.merged_into_id = at, target.pk
        draft.add("merge", at, dispatcher, Status.MERGED, {"into": target.number})
        status = target.status_at(at)
        self.batch.events.append(
            {
                "ticket_id": target.pk,
                "kind": "merged_in",
                "actor_id": dispatcher,
                "at": at,
                "from_status": status,
                "to_status": status,
                "payload": {"from": ticket.number},
            }
        )
        return True

    def _handled(self, draft: Draft, dispatcher: int, room: dt.timedelta) -> None:
        """Sent to a station: now and then first to the wrong one (which returns it, or the
        centre reassigns it), accepted, resolved (late now and then, under supervision
        orders), called back until closed; the timeline stops where the ticket's age says it
        stands now."""
        ticket, rng = draft.ticket, draft.rng
        age_hours = (self.now - ticket.registered_at).total_seconds() / 3600
        weights = next(weights for limit, weights in STATUS_BY_AGE if age_hours < limit)
        target = rng.choices(list(weights), weights=list(weights.values()))[0]
        preassigned = ticket.channel == "hotline_12345" and rng.random() < 0.3
        wrong = rng.random() < 0.1 and not preassigned
        returned = wrong and rng.random() < 0.7
        home = draft.place.station
        others = [station for station in self.stations if station.pk != home.pk]
        first_unit = rng.choice(others) if others else home
        gaps = {
            "dispatch": _seconds(rng, 120, 7200),
            "return": _seconds(rng, 3600, 36000),
            "redispatch": _seconds(rng, 600, 10800),
            "accept": dt.timedelta(seconds=min(int(rng.expovariate(1 / 7200)) + 300, 86400)),
        }
        reason = rng.choice(RETURN_REASONS).format(station=home.name)
        # An in-progress ticket of some days may be one a dissatisfied resident sent back.
        reopened = target == Status.IN_PROGRESS and age_hours > 96 and rng.random() < 0.08

        if target == Status.NEW:
            if age_hours < 4:
                return  # still waiting for the dispatcher
            plan = ["dispatch", "return"]  # returned by the wrong station, to be sent again
            wrong = returned = True
        else:
            plan = ["dispatch"]
            if wrong:
                plan += ["return", "redispatch"] if returned else ["redispatch"]
            if target != Status.DISPATCHED:
                plan.append("accept")
        if preassigned:
            gaps["dispatch"] = dt.timedelta(0)
        tail = target in (Status.RESOLVED, Status.CLOSED) or reopened
        # Squeeze the steps into the time the ticket's age leaves, if it is young.
        needed = sum((gaps[step] for step in plan), dt.timedelta(0))
        budget = room * (0.5 if tail else 0.9)
        scale = min(1.0, budget / needed) if needed else 1.0
        at = ticket.registered_at
        unit: Unit | None = None
        for step in plan:
            if step == "dispatch" and preassigned:
                unit = home
                deadline = self.deadline(ticket.received_at, ticket.category.deadline_days)
                self._dispatch(draft, home, at, ticket.registered_by_id, channel_due=deadline)
                continue
            at = at + max(gaps[step] * scale, SECOND)
            self._sweep(draft, at)
            if step == "dispatch":
                unit = first_unit if wrong else home
                self._dispatch(draft, unit, at, dispatcher)
            elif step == "return":
                assert unit is not None
                draft.add("return", at, self.handlers.get(unit.pk), Status.NEW,
                          {"reason": reason, "unit": unit.code})  # fmt: skip
                ticket.unit = None
                ticket.dispatched_at = ticket.due_at = ticket.accepted_at = None
                ticket.due_basis = ""
                unit = None
            elif step == "redispatch":
                unit = home
                self._dispatch(draft, home, at, dispatcher)
            else:
                assert unit is not None
                draft.add("accept", at, self.handlers.get(unit.pk), Status.IN_PROGRESS, {})
                ticket.accepted_at = at
        if unit is None:
            return  # returned: no unit's clock runs
        manual = self._manual_order_time(draft, at)
        if not tail:
            self._open_tail(draft, manual)
            return
        saved = draft.checkpoint()
        if self._natural_tail(draft, unit, at, target, dispatcher, manual, reopened):
            return
        # Too young for the natural pace: the rest happens in the time left.
        draft.restore(saved)
        if reopened:
            self._open_tail(draft, None)
        else:
            self._squeezed_tail(draft, unit, at, target, dispatcher)

    def _manual_order_time(self, draft: Draft, at: dt.datetime) -> dt.datetime | None:
        """When a supervisor orders the unit by hand to hurry, for a few tickets."""
        rng = draft.rng
        if self.supervisor is None or rng.random() >= MANUAL_ORDER_RATE:
            return None
        return self._daytime(at + _seconds(rng, 6 * 3600, 4 * 86400), rng)

    def _open_tail(self, draft: Draft, manual: dt.datetime | None) -> None:
        """Still with the unit: the orders of the deadlines missed so far, but the last."""
        if manual is not None and manual <= self.latest:
            self._sweep(draft, manual)
            self._manual_order(draft, manual)
        self._sweep(draft, self.now, leave_last=True)

    def _natural_tail(
        self,
        draft: Draft,
        unit: Unit,
        at: dt.datetime,
        target: str,
        dispatcher: int,
        manual: dt.datetime | None,
        reopened: bool,
    ) -> bool:
        """Resolved at the unit's pace (late now and then), then called back round after round
        until the target state; False when that does not fit before now."""
        ticket, rng = draft.ticket, draft.rng
        assert ticket.due_at is not None
        handler = self.handlers.get(unit.pk)
        channel = ticket.channel if ticket.channel in CHANNEL_CALLS and rng.random() < 0.4 else ""
        if reopened:
            rounds = 1
        elif target == Status.CLOSED:
            rounds = _pick(rng, DISSATISFIED_ROUNDS)
        else:
            rounds = 1 if rng.random() < 0.05 else 0
        resolve_at = self._resolution_time(draft, at, ticket.due_at)
        if manual is not None and manual < resolve_at:
            self._sweep(draft, manual)
            self._manual_order(draft, manual)
        if resolve_at > self.latest:
            return False
        self._resolve(draft, resolve_at, handler, rng.choice(self._results(ticket)))
        moment = resolve_at
        for round_number in range(rounds + 1):
            last_round = round_number == rounds
            if last_round and reopened:
                self._open_tail(draft, None)
                return True
            unanswered = _pick(rng, UNANSWERED_WEIGHTS)
            if not last_round:
                outcomes = [VisitOutcome.UNREACHABLE] * min(unanswered, 2)
                outcomes.append(VisitOutcome.DISSATISFIED)
            elif target == Status.CLOSED:
                outcomes = [VisitOutcome.UNREACHABLE] * unanswered
                if unanswered < MAX_UNREACHABLE:
                    outcomes.append(_pick(rng, REACHED_WEIGHTS))
            else:  # resolved, waiting for the call: 0-2 unanswered so far
                outcomes = [VisitOutcome.UNREACHABLE] * min(unanswered, 2)
            for index, outcome in enumerate(outcomes):
                gap = (
                    _seconds(rng, 3 * 3600, 3 * 86400)
                    if index == 0
                    else _seconds(rng, 2 * 3600, 26 * 3600)
                )
                moment = self._daytime(moment + gap, rng)
                if moment > self.latest:
                    # A resolved ticket simply waits for its next call; others do not fit.
                    return target == Status.RESOLVED and last_round
                caller = self.supervisor if channel == "" and rng.random() < 0.1 else None
                self._visit(draft, moment, outcome, caller or dispatcher,
                            channel if outcome != VisitOutcome.UNREACHABLE else "")  # fmt: skip
            if not last_round:
                # Sent back: the unit works to the order's deadline (late now and then).
                assert ticket.due_at is not None
                redo = self._resolution_time(draft, moment, ticket.due_at, least=HOUR)
                if redo > self.latest:
                    return False
                self._resolve(draft, redo, handler, rng.choice(REDO_RESULTS))
                moment = redo
        return True

    def _squeezed_tail(
        self, draft: Draft, unit: Unit, at: dt.datetime, target: str, dispatcher: int
    ) -> None:
        """A young ticket: resolved, and for a closed one called back once, in the time left."""
        ticket, rng = draft.ticket, draft.rng
        share = rng.uniform(0.1, 0.85)
        left = self.latest - at
        resolved_at = at + max(left * (share * 0.5 if target == Status.CLOSED else share), SECOND)
        self._resolve(draft, resolved_at, self.handlers.get(unit.pk),
                      rng.choice(self._results(ticket)))  # fmt: skip
        if target == Status.CLOSED:
            called_at = resolved_at + max((self.latest - resolved_at) * 0.5, SECOND)
            self._visit(draft, called_at, _pick(rng, REACHED_WEIGHTS), dispatcher, "")

    def _resolution_time(
        self, draft: Draft, start: dt.datetime, due: dt.datetime, *, least: dt.timedelta = HOUR
    ) -> dt.datetime:
        """When the unit reports: before the deadline mostly, after it one time in ten."""
        rng = draft.rng
        share = rng.uniform(0.1, 0.85)
        if rng.random() < 0.1:
            # Late by hours to days (a day and a half on average, at most twelve).
            late_by = min(dt.timedelta(seconds=int(rng.expovariate(1 / 129600))), 12 * DAY)
            return due + 2 * HOUR + late_by
        return start + max((due - start) * share, least / 2)

    @staticmethod
    def _results(ticket: TicketRow) -> list[str]:
        return RESULTS.get(ticket.category.code) or GENERIC_RESULTS

    def _daytime(self, moment: dt.datetime, rng: random.Random) -> dt.datetime:
        """Calls and supervisors' orders happen between 8:30 and 21:00."""
        local = moment.astimezone(self.zone)
        if 9 <= local.hour < 21:
            return moment
        day = local.date() if local.hour < 9 else local.date() + DAY
        return dt.datetime.combine(day, dt.time(8, 30), tzinfo=self.zone) + _seconds(
            rng, 0, 3 * 3600
        )

    # -- what the domain functions and the worker write ---------------------------------------

    def deadline(self, moment: dt.datetime, days: int) -> Deadline:
        return deadline_with(self.oracle, moment, days)

    def _dispatch(
        self,
        draft: Draft,
        unit: Unit,
        at: dt.datetime,
        actor: int | None,
        *,
        channel_due: Deadline | None = None,
    ) -> None:
        """As `dispatch_ticket` does it, or as the intake takes a channel's own dispatch."""
        ticket = draft.ticket
        previous = ticket.unit.code if ticket.unit is not None else None
        if channel_due is not None:
            due_at, basis, warning = channel_due.due_at, "channel", None
            ticket.dispatched_at = ticket.received_at
        else:
            deadline = self.deadline(at, ticket.category.deadline_days)
            due_at, basis, warning = deadline.due_at, deadline.basis, deadline.warning
            ticket.dispatched_at = at
        ticket.unit, ticket.due_at, ticket.due_basis, ticket.accepted_at = unit, due_at, basis, None
        payload: dict[str, Any] = {"unit": unit.code, "due_at": due_at.isoformat(), "basis": basis}
        if previous:
            payload["previous_unit"] = previous
        if warning:
            payload["warning"] = warning
        draft.add("dispatch", at, actor, Status.DISPATCHED, payload)
        if all(holding["unit_id"] != unit.pk for holding in draft.holdings):
            draft.holdings.append({"ticket_id": ticket.pk, "unit_id": unit.pk, "first_held_at": at})

    def _sweep(self, draft: Draft, until: dt.datetime, *, leave_last: bool = False) -> None:
        """The worker's overdue sweep up to `until`: an order the second after every deadline
        the unit misses while its clock runs. `leave_last`: not for the last deadline missed
        before now (the first sweep after the demo issues that one)."""
        ticket = draft.ticket
        days = self.order_days[SupervisionReason.OVERDUE]
        while ticket.status in RUNNING and ticket.due_at is not None:
            issued = ticket.due_at + SECOND
            if issued > until or issued > self.latest:
                return
            if leave_last and self.deadline(issued, days).due_at >= self.now:
                return
            self._order(draft, issued, SupervisionReason.OVERDUE, None, "")

    def _manual_order(self, draft: Draft, at: dt.datetime) -> None:
        if draft.ticket.status in RUNNING:
            self._order(draft, at, SupervisionReason.MANUAL, self.supervisor,
                        draft.rng.choice(MANUAL_NOTES))  # fmt: skip

    def _order(self, draft: Draft, at: dt.datetime, reason: str, by: int | None, note: str) -> None:
        """As `issue_order` does it (the notifications it sends are not recreated)."""
        ticket = draft.ticket
        assert ticket.unit is not None
        level = min(MAX_LEVEL, ticket.supervision_level + 1)
        deadline = self.deadline(at, self.order_days[reason])
        order = OrderDraft(
            ticket_pk=ticket.pk,
            unit_id=ticket.unit.pk,
            reason=reason,
            level=level,
            issued_at=at,
            issued_by_id=by,
            due_at=deadline.due_at,
            breached_due_at=ticket.due_at if reason == SupervisionReason.OVERDUE else None,
            note=note,
            day=at.astimezone(self.zone).date(),
        )
        previous = ticket.due_at
        ticket.due_at, ticket.due_basis, ticket.supervision_level = (
            deadline.due_at,
            deadline.basis,
            level,
        )
        if reason == SupervisionReason.OVERDUE and ticket.breached_at is None:
            ticket.breached_at = at
        for earlier in draft.orders:
            if earlier.is_open:
                earlier.superseded_by = order
        draft.orders.append(order)
        payload = {
            "reason": reason,
            "level": level,
            "due_at": deadline.due_at.isoformat(),
            # issue_order reads the old deadline from the database: in UTC.
            "previous_due_at": previous.astimezone(dt.UTC).isoformat() if previous else None,
            "note": note,
        }
        draft.add("supervise", at, by, None, payload, order=order)

    def _resolve(self, draft: Draft, at: dt.datetime, actor: int | None, result: str) -> None:
        """As `resolve_ticket` does it: the open orders are fulfilled."""
        self._sweep(draft, at)
        ticket = draft.ticket
        ticket.resolved_at, ticket.result = at, result
        on_time = ticket.due_at is not None and at <= ticket.due_at and ticket.breached_at is None
        fulfilled = [order for order in draft.orders if order.is_open]
        for order in fulfilled:
            order.fulfilled_at = at
        draft.unanswered = 0
        draft.add("resolve", at, actor, Status.RESOLVED, {"result": result, "on_time": on_time},
                  fulfils=fulfilled or None)  # fmt: skip

    def _visit(self, draft: Draft, at: dt.datetime, outcome: str, by: int, channel: str) -> None:
        """As `record_visit` does it: the call, then the close or the reopening it causes."""
        ticket, rng = draft.ticket, draft.rng
        note = rng.choice(VISIT_NOTES[outcome])
        draft.visits.append(
            {
                "ticket_id": ticket.pk,
                "outcome": outcome,
                "note": note,
                "called_by_id": by,
                "reported_by_channel": channel,
                "at": at,
            }
        )
        ticket.visit_outcome = outcome
        draft.add("visit", at, by, None,
                  {"outcome": outcome, "note": note, "channel": channel or None})  # fmt: skip
        if outcome == VisitOutcome.UNREACHABLE:
            draft.unanswered += 1
        if outcome in SATISFIED_OUTCOMES or draft.unanswered >= MAX_UNREACHABLE:
            ticket.closed_at = at
            draft.add("close", at, by, Status.CLOSED, {"visit": outcome})
        elif outcome == VisitOutcome.DISSATISFIED:
            ticket.resolved_at = None
            draft.add("reopen", at, by, Status.IN_PROGRESS,
                      {"visit": VisitOutcome.DISSATISFIED, "note": note})  # fmt: skip
            self._order(draft, at, SupervisionReason.DISSATISFIED, by, note)

    # -- writing ------------------------------------------------------------------------------

    def _emit(self, draft: Draft) -> None:
        ticket = draft.ticket
        # 1, plus one for every transition and every supervision order after the intake.
        ticket.version = 1 + sum(1 for step in draft.steps if step.kind not in UNVERSIONED)
        row = ticket.columns()
        self.batch.tickets.append(row)
        self.unwritten[ticket.pk] = row
        self.batch.holdings.extend(draft.holdings)
        self.batch.visits.extend(draft.visits)
        if draft.orders:
            # The events name the orders: they wait until the last order has its number.
            for order in draft.orders:
                self.unnumbered.setdefault(order.day, []).append(order)
                if order.superseded_by is not None:
                    order.superseded_by.supersedes.append(order)
            last_day = max(order.day for order in draft.orders)
            self.held_events.setdefault(last_day, []).append((ticket.pk, draft.steps))
        else:
            self._write_events(ticket.pk, draft.steps)
        self.recent[ticket.category.pk].append(
            Recent(
                ticket.pk,
                ticket.number,
                ticket.registered_at,
                [(step.at, step.to_status) for step in draft.steps],
            )
        )

    def _write_events(self, pk: int, steps: list[Step]) -> None:
        from_status = ""
        events = self.batch.events
        for step in steps:
            payload = step.payload
            if step.order is not None:
                payload = {"order": step.order.number, **payload}
            elif step.fulfils:
                payload = {**payload, "fulfilled_orders": [order.number for order in step.fulfils]}
            events.append(
                {
                    "ticket_id": pk,
                    "kind": step.kind,
                    "actor_id": step.actor,
                    "at": step.at,
                    "from_status": from_status,
                    "to_status": step.to_status,
                    "payload": payload,
                }
            )
            from_status = step.to_status


def _pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
