"""The demo bureau's mediation network: committees at three levels (the towns', the
communities' and villages', the village groups'), ten studios with their mediators, and a
year of mediation cases in every stage.

Each case's timeline is what the mediation actions would have written: accepted (numbered on
its day), its sessions, perhaps one extension with both parties' consent before the deadline,
then an agreement, a failure with the route advised, or a withdrawal; a case whose planned end
lies after now is still open, some of them due soon or overdue. Studios succeed at different
rates, so that the figures and the rankings read like a real county's (never 100 %).

A succeeded case has its agreement (调解协议书) with one to three terms, recorded the day it
succeeded (a few of the last days' still to record); each term's performance is recorded around
its date (mostly performed, some partly or not), and the parties are called back within the 15
days (a few late); a case whose terms are all recorded and whose follow-up is done is closed.
Those draws use a generator of their own per case, so the cases' other draws stay as they were.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password

from jieban.demo.data import DEMO_PASSWORD, GIVEN, STATIONS, SURNAMES
from jieban.demo.organisation import Place, places
from jieban.mediation.actions import CASE_PREFIX, CONCLUDE_WITHIN, visit_due_on
from jieban.mediation.models import (
    Agreement,
    AgreementTerm,
    AgreementVisit,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    FailureRoute,
    MediationCase,
    MediationSession,
    Party,
    Performance,
    Studio,
    StudioMediator,
)
from jieban.org.actions import create_unit
from jieban.org.models import CommitteeLevel, Role, Unit, UnitKind, User
from jieban.tickets.models import DailySequence
from jieban.tickets.numbering import format_number, local_day_of
from jieban.workcalendar.workdays import local_zone

# (code, name, host unit code, kind of each mediator, how often its cases succeed).
STUDIOS: list[tuple[str, str, str, list[str], float]] = [
    ("he-dajie", "何大姐调解工作室", "QC-C0101", ["peoples_mediator", "volunteer"], 0.975),
    ("lao-yang", "老杨调解工作室", "QC-PS01", ["police", "retired_cadre", "lawyer"], 0.98),
    ("binjiang-heshilao", "滨江和事佬调解工作室", "QC-C0102", ["peoples_mediator", "volunteer"],
     0.97),
    ("laobing", "老兵调解工作室", "QC-PS02", ["retired_cadre", "police"], 0.975),
    ("donghe-fengqiao", "东河枫桥调解工作室", "QC-C0201", ["peoples_mediator", "lawyer"], 0.965),
    ("xishan-xiangxian", "西山乡贤调解工作室", "QC-PS03", ["retired_cadre", "volunteer"], 0.96),
    ("shimen-laozhishu", "石门老支书调解工作室", "QC-C0302", ["retired_cadre"], 0.955),
    ("nanqiao-fazhi", "南桥法律明白人调解工作室", "QC-PS04", ["lawyer", "police"], 0.98),
    ("beiping-jinguo", "北坪巾帼调解工作室", "QC-PS05", ["peoples_mediator", "police"], 0.97),
    ("qingxi-lvshi", "青溪律师调解工作室", "QC-PS06", ["lawyer", "peoples_mediator"], 0.95),
]  # fmt: skip
COMMITTEE_SUCCESS = {CommitteeLevel.TOWN: 0.94, CommitteeLevel.VILLAGE: 0.955,
                     CommitteeLevel.GROUP: 0.93}  # fmt: skip
# Where cases go: a studio, or a committee of a level.
FORUM_WEIGHTS = {"studio": 60, CommitteeLevel.VILLAGE: 22, CommitteeLevel.TOWN: 12,
                 CommitteeLevel.GROUP: 6}  # fmt: skip
SOURCE_WEIGHTS = {CaseSource.APPLICATION: 55, CaseSource.REFERRAL: 25, CaseSource.INITIATIVE: 20}
DISPUTE_WEIGHTS = {
    "neighbours": 25, "marriage_family": 18, "housing_homestead": 10, "damages": 10,
    "contract": 6, "labour": 6, "property_management": 6, "road_traffic": 5, "forest_land": 5,
    "business": 4, "consumer": 3, "other": 3, "land_requisition": 2, "pollution": 2, "medical": 1,
}  # fmt: skip
# Dispute types whose cases name an amount, and its range in yuan.
AMOUNTS = {"contract": (3000, 180000), "damages": (1500, 90000), "labour": (2000, 60000),
           "road_traffic": (800, 50000), "business": (5000, 200000), "consumer": (200, 8000),
           "medical": (5000, 120000), "housing_homestead": (2000, 80000),
           "land_requisition": (10000, 300000), "forest_land": (1000, 30000)}  # fmt: skip
FACTS = {
    "neighbours": "{a}与邻居{r}因{x}产生矛盾，多次争吵，{a}申请调解。",
    "marriage_family": "{a}与{r}因{x}发生家庭纠纷，双方情绪激动，经社区引导申请调解。",
    "housing_homestead": "{a}与{r}因宅基地界线及{x}发生争议，双方各执一词。",
    "damages": "{r}在{x}中致{a}财产受损，双方就赔偿数额未能达成一致。",
    "contract": "{a}与{r}签订{x}合同后，{r}未按约定履行，{a}要求支付欠款。",
    "labour": "{a}在{r}处务工，因{x}被拖欠工资，多次讨要未果。",
    "property_management": "{a}与物业公司负责人{r}因{x}问题发生纠纷，拒交物业费。",
    "road_traffic": "{a}与{r}在{x}发生交通事故，双方就责任和赔偿存在分歧。",
    "forest_land": "{a}与{r}因{x}山林权属界线发生争议。",
    "business": "{a}与{r}合伙经营{x}，因利润分配产生纠纷。",
    "consumer": "{a}在{r}经营的店铺购买{x}后发现质量问题，要求退换未果。",
    "other": "{a}与{r}因{x}发生纠纷，申请调解。",
    "land_requisition": "{a}对{x}征收补偿标准有异议，与{r}协商未果。",
    "pollution": "{a}反映{r}经营的{x}排放污水、异味扰民。",
    "medical": "{a}认为{r}诊所在{x}中存在过错，要求赔偿。",
}
MATTERS = {
    "neighbours": ["楼上漏水", "堆放杂物占用楼道", "饲养犬只噪音", "装修噪音", "排水沟堵塞"],
    "marriage_family": ["赡养老人", "子女抚养费", "家庭财产分割", "婚后家务分担"],
    "housing_homestead": ["围墙修建", "房屋滴水", "通行道路"],
    "damages": ["邻居施工", "车辆剐蹭", "宠物伤人"],
    "contract": ["房屋装修", "农产品买卖", "车辆租赁"],
    "labour": ["工地施工", "餐馆打工", "装修务工"],
    "property_management": ["电梯维修", "停车收费", "小区绿化"],
    "road_traffic": ["人民路路口", "滨河路", "县道312线"],
    "forest_land": ["后山林地", "承包林地", "自留山"],
    "business": ["农家乐", "养殖场", "五金店"],
    "consumer": ["家电", "电动车", "家具"],
    "other": ["借款", "宴席费用", "宠物走失"],
    "land_requisition": ["道路拓宽", "棚户区改造"],
    "pollution": ["洗车店", "小作坊"],
    "medical": ["输液治疗", "拔牙"],
}
AGREEMENTS = [
    "经调解，{r}同意于{d}日内支付{a}人民币{m}元，双方就此了结纠纷。",
    "经调解，双方互谅互让，{r}向{a}赔礼道歉，并承诺不再发生类似行为。",
    "经调解，双方达成一致：{r}负责修复并承担相关费用，{a}不再追究。",
]
FAILURE_NOTES = ["双方分歧较大，经多次调解未能达成一致，已告知当事人可依法向人民法院起诉。",
                 "{r}拒绝调解方案，建议{a}申请劳动仲裁。",
                 "双方均不接受调解方案，已引导当事人通过信访渠道反映诉求。"]  # fmt: skip
ROUTE_WEIGHTS = {FailureRoute.LITIGATION: 60, FailureRoute.ARBITRATION: 20,
                 FailureRoute.PETITION: 10, FailureRoute.OTHER: 10}  # fmt: skip
WITHDRAW_SHARE = 0.012
# How long cases take (days from acceptance to the planned end), and how many run late.
LATE_SHARE = 0.06
EXTEND_SHARE = 0.05
# Cases accepted this many days ago that stall: still open now, due soon or overdue.
STALLED_AGE = (25, 60)
STALLED_SHARE = 0.1
DAYS = 365
# Agreements: how many of the last days' succeeded cases still wait for theirs, how terms turn
# out, how many follow-up calls are late.
AGREEMENT_PENDING = 0.4
PERFORMANCE_WEIGHTS = {Performance.PERFORMED: 90, Performance.PARTLY: 6,
                       Performance.NOT_PERFORMED: 4}  # fmt: skip
VISIT_LATE_SHARE = 0.05
TERMS = [
    (Party.RESPONDENT, "向{a}支付赔偿款人民币{m}元", "银行转账"),
    (Party.RESPONDENT, "向{a}当面赔礼道歉", "当面致歉，调解员在场"),
    (Party.BOTH, "共同委托物业或施工方修复受损部位，费用由{r}承担", "施工修复，双方到场验收"),
    (Party.APPLICANT, "收到款项后出具收条，不再就此事追究", "书面收条"),
    (Party.BOTH, "今后互相尊重，不再发生争吵、滋扰", "自觉遵守"),
]
STATEMENTS = [
    "双方表示协议已履行，关系缓和，对调解工作满意。",
    "当事人表示款项已收到，无其他诉求。",
    "被申请人称部分款项尚未凑齐，承诺尽快支付。",
    "申请人认为对方履行不及时，有意见。",
]


@dataclass
class AgreementPlan:
    """What the agreement actions would have written for one succeeded case."""

    agreement: Agreement
    terms: list[AgreementTerm]
    visits: list[AgreementVisit]


@dataclass
class Forum:
    """A studio or a committee: who mediates there, and how often they succeed."""

    studio: Studio | None
    committee: Unit | None
    mediators: list[User]
    success: float
    weight: int = 1


@dataclass
class MediationDemo:
    committees: list[Unit] = field(default_factory=list)
    studios: list[Studio] = field(default_factory=list)
    mediators: list[User] = field(default_factory=list)
    cases: int = 0


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _draw(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build_committees(found: list[Place]) -> list[Unit]:
    """A committee for every town (乡镇), every community or village (村/社区) and two for every
    village's groups (组), each under the level above."""
    committees = []
    by_station: dict[str, list[Place]] = {}
    for place in found:
        by_station.setdefault(place.station.code, []).append(place)
    for t_index, (s_code, _name_zh, _name_en, town, _communities) in enumerate(STATIONS, 1):
        town_code = f"QC-TW{t_index:02d}"
        committees.append(create_unit(
            code=town_code, kind=UnitKind.COMMITTEE, name=f"{town}人民调解委员会",
            name_en=f"{town} mediation committee", parent="QC", level=CommitteeLevel.TOWN,
        ))  # fmt: skip
        for c_index, place in enumerate(by_station[s_code], 1):
            village_code = f"{town_code}{c_index:02d}"
            committees.append(create_unit(
                code=village_code, kind=UnitKind.COMMITTEE,
                name=f"{place.unit.name}人民调解委员会",
                name_en=f"{place.unit.name_en} mediation committee", parent=town_code,
                level=CommitteeLevel.VILLAGE,
            ))  # fmt: skip
            if place.village:
                for g_index, ordinal in enumerate("一二", 1):
                    committees.append(create_unit(
                        code=f"{village_code}-{g_index}", kind=UnitKind.COMMITTEE,
                        name=f"{place.unit.name}{ordinal}组调解小组",
                        name_en=f"{place.unit.name_en} group {g_index} mediation team",
                        parent=village_code, level=CommitteeLevel.GROUP,
                    ))  # fmt: skip
    return committees


def build_mediation(*, seed: int, now: dt.datetime, cases: int) -> MediationDemo:
    """The committees, the studios and their mediators, and `cases` cases over the last year."""
    rng = random.Random(seed + 23)
    demo = MediationDemo()
    found = places()
    demo.committees = build_committees(found)
    password = make_password(DEMO_PASSWORD)
    units = {unit.code: unit for unit in Unit.objects.filter(code__startswith="QC")}
    people: list[User] = []
    members: dict[str, list[tuple[User, str]]] = {}
    counter = 0

    def mediator(unit: Unit) -> User:
        nonlocal counter
        counter += 1
        person = User(username=f"mediator{counter + 1}", role=Role.MEDIATOR, unit=unit,
                      first_name=_name(rng), phone=_phone(rng), password=password)  # fmt: skip
        people.append(person)
        return person

    committee_people: dict[int, list[User]] = {}
    for committee in demo.committees:
        count = 2 if committee.level == CommitteeLevel.TOWN else 1
        committee_people[committee.pk] = [mediator(committee) for _ in range(count)]
    first_mediator = User.objects.filter(username="mediator").select_related("unit").first()
    first_host = first_mediator.unit.code if first_mediator and first_mediator.unit else None
    for code, _name_zh, host, kinds, _success in STUDIOS:
        chosen = []
        for index, kind in enumerate(kinds):
            if index == 0 and first_mediator is not None and host == first_host:
                chosen.append((first_mediator, kind))
            else:
                chosen.append((mediator(units[host]), kind))
        members[code] = chosen
    User.objects.bulk_create(people)
    demo.mediators = people

    opened = (now - dt.timedelta(days=DAYS * 3)).date()
    forums: list[Forum] = []
    for code, name, host, _kinds, success in STUDIOS:
        studio = Studio.objects.create(
            code=code, name=name, host_unit=units[host], phone=_phone(rng),
            address=f"{units[host].name}办公楼一楼",
            opened_on=opened + dt.timedelta(days=rng.randint(0, 600)),
        )  # fmt: skip
        StudioMediator.objects.bulk_create(
            StudioMediator(studio=studio, person=person, kind=kind)
            for person, kind in members[code]
        )
        demo.studios.append(studio)
        forums.append(Forum(studio, None, [p for p, _k in members[code]], success, weight=6))
    for committee in demo.committees:
        level = CommitteeLevel(committee.level)
        forums.append(
            Forum(None, committee, committee_people[committee.pk], COMMITTEE_SUCCESS[level])
        )
    demo.cases = CaseWriter(rng, now, forums).write(cases)
    return demo


class CaseWriter:
    """Plans each case's timeline and writes the cases, their sessions, mediators and events
    with bulk inserts, numbered per day of acceptance as `open_case` numbers them."""

    def __init__(self, rng: random.Random, now: dt.datetime, forums: list[Forum]) -> None:
        self.rng = rng
        self.zone = local_zone()
        self.now = now.astimezone(self.zone)
        self.latest = self.now - dt.timedelta(minutes=1)
        self.studios = [forum for forum in forums if forum.studio is not None]
        self.levels: dict[str, list[Forum]] = {}
        for forum in forums:
            if forum.committee is not None:
                self.levels.setdefault(forum.committee.level, []).append(forum)
        self.sequences: dict[dt.date, int] = {}
        # The agreements planned, by case number.
        self.plans: dict[str, AgreementPlan] = {}

    def _forum(self) -> Forum:
        kind = _draw(self.rng, FORUM_WEIGHTS)
        pool = self.studios if kind == "studio" else self.levels[kind]
        return self.rng.choice(pool)

    def _moment(self, day: dt.date, rng: random.Random | None = None) -> dt.datetime:
        minute = (rng or self.rng).randint(8 * 60 + 30, 17 * 60 + 30)
        moment = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.zone)
        return min(moment, self.latest)

    def write(self, count: int) -> int:
        first_day = self.now.date() - dt.timedelta(days=DAYS - 1)
        days = sorted(first_day + dt.timedelta(days=self.rng.randrange(DAYS)) for _ in range(count))
        rows: list[tuple[MediationCase, list[User], list[MediationSession], list[CaseEvent]]] = []
        for day in days:
            rows.append(self._case(day))
        cases = MediationCase.objects.bulk_create([case for case, *_rest in rows])
        self._write_agreements(cases)
        through = MediationCase.mediators.through
        links, sessions, events = [], [], []
        for case, (_case, mediators, case_sessions, _events) in zip(cases, rows, strict=True):
            links += [through(mediationcase_id=case.pk, user_id=user.pk) for user in mediators]
            for session in case_sessions:
                session.case = case
            sessions += case_sessions
        through.objects.bulk_create(links)
        written = MediationSession.objects.bulk_create(sessions)
        for case, (_case, _mediators, _sessions, case_events) in zip(cases, rows, strict=True):
            for event in case_events:
                event.case = case
                if event.kind == CaseEventKind.SESSION:
                    event.payload["session"] = event.payload.pop("_session").pk
                elif event.kind == CaseEventKind.AGREEMENT:
                    event.payload["agreement"] = event.payload.pop("_agreement").pk
                elif event.kind == CaseEventKind.VISIT:
                    event.payload["visit"] = event.payload.pop("_visit").pk
            events += case_events
        assert len(written) == len(sessions)
        CaseEvent.objects.bulk_create(events)
        for day, last in self.sequences.items():
            DailySequence.objects.update_or_create(
                prefix=CASE_PREFIX, day=day, defaults={"last": last}
            )
        return len(cases)

    def _case(
        self, day: dt.date
    ) -> tuple[MediationCase, list[User], list[MediationSession], list[CaseEvent]]:
        rng = self.rng
        forum = self._forum()
        accepted = self._moment(day)
        local_day = local_day_of(accepted, self.zone)
        self.sequences[local_day] = self.sequences.get(local_day, 0) + 1
        dispute = _draw(rng, DISPUTE_WEIGHTS)
        applicant, respondent = _name(rng), _name(rng)
        amount = None
        if dispute in AMOUNTS and rng.random() < 0.85:
            low, high = AMOUNTS[dispute]
            amount = Decimal(rng.randrange(low, high) // 100 * 100)
        facts = FACTS[dispute].format(a=applicant, r=respondent, x=rng.choice(MATTERS[dispute]))
        mediators = rng.sample(forum.mediators, min(len(forum.mediators), rng.choice((1, 1, 2))))
        lead = mediators[0]
        case = MediationCase(
            number=format_number(CASE_PREFIX, local_day, self.sequences[local_day]),
            source=_draw(rng, SOURCE_WEIGHTS), applicant_name=applicant,
            applicant_phone=_phone(rng), respondent_name=respondent,
            respondent_phone=_phone(rng) if rng.random() < 0.9 else "", dispute_type=dispute,
            amount=amount, facts=facts, studio=forum.studio, committee=forum.committee,
            status=CaseStatus.ACCEPTED, accepted_at=accepted, due_at=accepted + CONCLUDE_WITHIN,
            created_by=lead,
        )  # fmt: skip
        events = [CaseEvent(kind=CaseEventKind.OPEN, actor=lead, at=accepted,
                            to_status=CaseStatus.ACCEPTED, payload={
            "source": case.source, "studio": forum.studio.code if forum.studio else None,
            "committee": forum.committee.code if forum.committee is not None else None,
            "ticket": None,
            "mediators": [user.username for user in mediators],
            "due_at": case.due_at.isoformat()})]  # fmt: skip
        sessions: list[MediationSession] = []
        status: str

        # The planned end: most cases within two or three weeks, a few late.
        late = rng.random() < LATE_SHARE
        length = rng.uniform(31, 48) if late else rng.triangular(1, 29, 9)
        end = accepted + dt.timedelta(days=length, minutes=rng.randint(0, 300))
        age = (self.now - accepted).days
        if STALLED_AGE[0] <= age <= STALLED_AGE[1] and rng.random() < STALLED_SHARE:
            end = self.now + dt.timedelta(days=rng.uniform(3, 20))
        ending = self._ending(rng, forum)
        session_count = 0 if ending == CaseEventKind.WITHDRAW and rng.random() < 0.5 else (
            rng.choice((1, 1, 2, 2, 3)))  # fmt: skip
        moments = sorted(
            accepted + (end - accepted) * rng.uniform(0.15, 0.95) for _ in range(session_count)
        )
        if late and rng.random() < EXTEND_SHARE / LATE_SHARE:
            asked = accepted + dt.timedelta(days=rng.uniform(20, 29))
            if asked < self.latest:
                events.append(self._extension(case, asked, lead))
        status = CaseStatus.ACCEPTED
        for moment in moments:
            if moment > self.latest:
                break
            held_on = moment.astimezone(self.zone).date()
            session = MediationSession(
                held_on=held_on, attendees=f"{case.applicant_name}、{case.respondent_name}、"
                f"{lead.first_name}", discussion="双方陈述各自诉求，调解员释法析理，做双方工作。",
                agreed="双方同意继续协商。", recorded_by=lead, recorded_at=moment,
            )  # fmt: skip
            sessions.append(session)
            events.append(CaseEvent(kind=CaseEventKind.SESSION, actor=lead, at=moment,
                                    from_status=status, to_status=CaseStatus.MEDIATING,
                                    payload={"_session": session,
                                             "held_on": held_on.isoformat()}))  # fmt: skip
            status = CaseStatus.MEDIATING
        events.sort(key=lambda event: event.at)
        self._statuses(events)
        concludes = end <= self.latest and (
            ending == CaseEventKind.WITHDRAW or status == CaseStatus.MEDIATING
        )
        if concludes:
            last = max([event.at for event in events])
            at = max(end, last + dt.timedelta(minutes=5))
            if at <= self.latest:
                events.append(self._conclusion(case, ending, at, lead, status))
                status = events[-1].to_status
                if status == CaseStatus.SUCCEEDED:
                    status = self._agreement(case, at, lead, events)
        case.status = status
        case.version = len(events)
        return case, mediators, sessions, events

    @staticmethod
    def _statuses(events: list[CaseEvent]) -> None:
        """Each event's from/to status in order: the first session moves the case to
        mediating; an extension keeps the stage it was asked in."""
        status = CaseStatus.ACCEPTED
        for event in events[1:]:
            event.from_status = status
            if event.kind == CaseEventKind.SESSION:
                status = CaseStatus.MEDIATING
            event.to_status = status

    @staticmethod
    def _ending(rng: random.Random, forum: Forum) -> str:
        if rng.random() < WITHDRAW_SHARE:
            return CaseEventKind.WITHDRAW
        return CaseEventKind.SUCCEED if rng.random() < forum.success else CaseEventKind.FAIL

    def _extension(self, case: MediationCase, asked: dt.datetime, lead: User) -> CaseEvent:
        days = self.rng.choice((10, 15, 20, 30))
        previous = case.due_at
        case.due_at = previous + dt.timedelta(days=days)
        case.extended_at = asked
        case.extension_consent = (
            f"{case.applicant_name}、{case.respondent_name}同意延长调解期限{days}日（签字在卷）。"
        )
        return CaseEvent(kind=CaseEventKind.EXTEND, actor=lead, at=asked,
                         payload={"days": days, "previous_due_at": previous.isoformat(),
                                  "due_at": case.due_at.isoformat()})  # fmt: skip

    def _conclusion(
        self, case: MediationCase, ending: str, at: dt.datetime, lead: User, status: str
    ) -> CaseEvent:
        rng = self.rng
        case.concluded_at = at
        names = {"a": case.applicant_name, "r": case.respondent_name}
        payload: dict[str, Any] = {}
        if ending == CaseEventKind.SUCCEED:
            money = case.amount * Decimal(rng.choice(("0.6", "0.75", "0.8", "1"))) \
                if case.amount else Decimal(rng.randrange(5, 60) * 100)  # fmt: skip
            case.conclusion = rng.choice(AGREEMENTS).format(
                d=rng.choice((7, 15, 30)), m=f"{money:,.0f}", **names
            )
            target = CaseStatus.SUCCEEDED
            payload = {"in_time": at <= case.due_at}
        elif ending == CaseEventKind.FAIL:
            case.failure_route = _draw(rng, ROUTE_WEIGHTS)
            case.conclusion = rng.choice(FAILURE_NOTES).format(**names)
            target = CaseStatus.FAILED
            payload = {"route": case.failure_route, "in_time": at <= case.due_at}
        else:
            case.conclusion = f"{case.applicant_name}表示双方已自行和解，撤回调解申请。"
            target = CaseStatus.WITHDRAWN
        return CaseEvent(kind=ending, actor=lead, at=at, from_status=status, to_status=target,
                         payload=payload)  # fmt: skip

    def _write_agreements(self, cases: list[MediationCase]) -> None:
        """The planned agreements of the cases just written, with their terms and calls."""
        plans = [(case, self.plans[case.number]) for case in cases if case.number in self.plans]
        for case, plan in plans:
            plan.agreement.case = case
        Agreement.objects.bulk_create([plan.agreement for _case, plan in plans])
        terms, visits = [], []
        for _case, plan in plans:
            for term in plan.terms:
                term.agreement = plan.agreement
            for visit in plan.visits:
                visit.agreement = plan.agreement
            terms += plan.terms
            visits += plan.visits
        AgreementTerm.objects.bulk_create(terms)
        AgreementVisit.objects.bulk_create(visits)

    def _agreement(
        self, case: MediationCase, at: dt.datetime, lead: User, events: list[CaseEvent]
    ) -> str:
        """Plan the agreement of `case`, succeeded at `at`, its terms' performance and the
        follow-up calls, appending their events; the case's status after them."""
        rng = random.Random(case.number)  # its own draws: the other cases' stay as they were
        recorded = at + dt.timedelta(minutes=rng.randint(10, 120))
        if recorded > self.latest or (
            self.latest - at < dt.timedelta(days=3) and rng.random() < AGREEMENT_PENDING
        ):
            return CaseStatus.SUCCEEDED
        signed = recorded.astimezone(self.zone).date()
        names = {"a": case.applicant_name, "r": case.respondent_name}
        money = f"{(case.amount or Decimal(rng.randrange(5, 60) * 100)) * Decimal('0.8'):,.0f}"
        chosen = rng.sample(TERMS, rng.choice((1, 2, 2, 3)))
        terms = [
            AgreementTerm(
                position=position, obligor=obligor, content=content.format(m=money, **names),
                method=method, due_on=signed + dt.timedelta(days=rng.choice((0, 3, 7, 10, 15, 30))),
            )
            for position, (obligor, content, method) in enumerate(chosen, start=1)
        ]  # fmt: skip
        agreement = Agreement(
            facts=case.facts, applicant_responsibility=f"{case.applicant_name}无过错。",
            respondent_responsibility=f"{case.respondent_name}对纠纷的发生负主要责任。",
            signed_on=signed, visit_due_on=visit_due_on(signed),
            last_due_on=max(term.due_on for term in terms), recorded_by=lead, recorded_at=recorded,
        )  # fmt: skip
        self.plans[case.number] = AgreementPlan(agreement, terms, [])
        status = CaseStatus.SUCCEEDED
        later: list[CaseEvent] = [
            CaseEvent(kind=CaseEventKind.AGREEMENT, actor=lead, at=recorded, payload={
                "_agreement": agreement, "signed_on": signed.isoformat(), "terms": len(terms),
                "visit_due_on": agreement.visit_due_on.isoformat()})
        ]  # fmt: skip
        performed: list[dt.datetime] = []
        for term in terms:
            outcome = _draw(rng, PERFORMANCE_WEIGHTS)
            day = max(signed, term.due_on - dt.timedelta(days=rng.choice((0, 0, 1, 2, 5))))
            moment = self._moment(day, rng) if day > signed else recorded + dt.timedelta(hours=1)
            if moment >= self.latest:
                continue
            term.performance, term.performed_on = outcome, day
            term.performance_note = "" if outcome == Performance.PERFORMED else "未能如期足额履行。"
            term.performance_by, term.performance_recorded_at = lead, moment
            if outcome == Performance.PERFORMED:
                performed.append(moment)
            later.append(CaseEvent(kind=CaseEventKind.PERFORM, actor=lead, at=moment, payload={
                "term": term.position, "performance": outcome, "previous": "",
                "performed_on": day.isoformat()}))  # fmt: skip
        if len(performed) == len(terms):
            agreement.performed_at = max(performed)
        late = rng.random() < VISIT_LATE_SHARE
        visit_day = signed + dt.timedelta(days=rng.randint(16, 20) if late else rng.randint(2, 14))
        visit_at = self._moment(visit_day, rng)
        if visit_day <= self.now.date() and visit_at < self.latest:
            satisfied = rng.random() < 0.95
            visit = AgreementVisit(
                visited_on=visit_day, called=Party.BOTH, satisfied=satisfied,
                statement=rng.choice(STATEMENTS[:2] if satisfied else STATEMENTS[2:]),
                recorded_by=lead, recorded_at=visit_at,
            )  # fmt: skip
            self.plans[case.number].visits.append(visit)
            agreement.visited_at = visit_at
            in_time = visit_day <= agreement.visit_due_on
            later.append(CaseEvent(kind=CaseEventKind.VISIT, actor=lead, at=visit_at, payload={
                "_visit": visit, "visited_on": visit_day.isoformat(), "called": Party.BOTH,
                "satisfied": satisfied, "in_time": in_time}))  # fmt: skip
        later.sort(key=lambda event: event.at)
        for event in later:
            event.from_status = event.to_status = status
            events.append(event)
        complete = agreement.visited_at is not None and all(term.performance for term in terms)
        if complete:
            last = later[-1]
            events.append(CaseEvent(kind=CaseEventKind.CLOSE, actor=lead, at=last.at,
                                    from_status=status, to_status=CaseStatus.CLOSED,
                                    payload={"after": last.kind}))  # fmt: skip
            status = CaseStatus.CLOSED
        return status
