"""Benchmark: the mediation figures over 200,000 mediation cases in SQLite (issue 11, item 14).

Builds once, cached under bench/out/mediation-<N>/template.sqlite3 (gitignored), a bureau with
10 studios (4 mediators each), 30 committees at three levels (one mediator each) and N cases
spread over 2026, bulk-inserted: every stage, a realistic mix of outcomes, one or two mediators
a case, an agreement with one to three terms for most succeeded cases. Then times, as a
leader, through Django's test client (server time, no network), over repeated runs:
`GET /api/v1/mediation/stats` for a year grouped by each of studio, mediator, level and
dispute type (and per month), the figures page, the monthly mediation report built live, and
the leader's home; then a year's figures read just after a case changed (its dirty days
rebuilt in the request), and a studio mediator's year (counted from the studio's cases, not
the rollups). Prints p50/p95, and how long the rollups took to build from nothing.

    .venv/bin/python bench/mediation.py [--cases 200000] [--runs 30] [--rebuild] [--build-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ZONE = ZoneInfo("Asia/Shanghai")
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=ZONE)
BATCH = 5000


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float, float, float]:
    """p50 and p95 of the wall time, then of this process's CPU time (which a busy machine
    inflates far less than the wall time), in ms."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    at95 = max(0, round(0.95 * runs) - 1)
    walls.sort()
    cpus.sort()
    return statistics.median(walls), walls[at95], statistics.median(cpus), cpus[at95]


def build(count: int) -> None:
    """The bureau and `count` cases, bulk-inserted (the actions' rules: a 30-day clock, a
    conclusion after acceptance, an amount only where a dispute has one)."""
    # Django is set up by the caller: these imports need it.
    from django.core.management import call_command
    from django.db import transaction

    from jieban.mediation.models import (
        CaseStatus,
        DisputeType,
        MediationCase,
        Studio,
        StudioMediator,
    )
    from jieban.org.actions import create_person, create_unit
    from jieban.org.models import Unit, User

    call_command("migrate", "--noinput", verbosity=0)
    create_unit(code="BUR", kind="bureau", name="县公安局")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    create_person(username="leader", role="leader", unit="BUR", password="bench-pass-1")
    stations = [f"PS{n:02d}" for n in range(1, 6)]
    for code in stations:
        create_unit(code=code, kind="station", name=f"{code} 派出所", parent="BUR")
    committees = []
    for n in range(30):
        level = ("town", "village", "group")[n % 3]
        code = f"TJ{n:02d}"
        committees.append(
            create_unit(
                code=code,
                kind="committee",
                name=f"第{n}调委会",
                parent=stations[n % 5],
                level=level,
            )
        )
    committee_people = {
        unit.pk: User.objects.create(username=f"cm{n:02d}", role="mediator", unit=unit)
        for n, unit in enumerate(committees)
    }
    studios = []
    studio_people: dict[int, list[int]] = {}
    for n in range(10):
        studio = Studio.objects.create(
            code=f"S{n:02d}", name=f"第{n}调解工作室", host_unit_id=committees[n].parent_id
        )
        studios.append(studio)
        # Mediators who never log in here: no password to hash.
        people = [
            User.objects.create(
                username=f"m{n:02d}{k}",
                role="mediator",
                unit=Unit.objects.get(code=stations[n % 5]),
            )
            for k in range(4)
        ]
        StudioMediator.objects.bulk_create(
            StudioMediator(studio=studio, person=person, kind="peoples_mediator")
            for person in people
        )
        studio_people[studio.pk] = [person.pk for person in people]
    rng = random.Random(11)
    types = list(DisputeType.values)
    through = MediationCase.mediators.through
    # Outcomes of the cases accepted more than 30 days before the year's end.
    outcomes = [CaseStatus.SUCCEEDED] * 88 + [CaseStatus.FAILED] * 6 + [CaseStatus.WITHDRAWN] * 4
    outcomes += [CaseStatus.MEDIATING] * 2
    year_seconds = 365 * 86400
    made = 0
    while made < count:
        cases = []
        links: list[list[int]] = []
        for index in range(made, min(count, made + BATCH)):
            accepted_at = YEAR_START + dt.timedelta(seconds=rng.randrange(year_seconds))
            due_at = accepted_at + dt.timedelta(days=30)
            status = rng.choice(outcomes)
            concluded_at = None
            if status not in (CaseStatus.MEDIATING, CaseStatus.ACCEPTED):
                concluded_at = accepted_at + dt.timedelta(hours=rng.randrange(2, 24 * 34))
            in_studio = rng.random() < 0.7
            studio = rng.choice(studios) if in_studio else None
            committee = None if in_studio else rng.choice(committees)
            if studio is not None:
                people = rng.sample(studio_people[studio.pk], rng.choice((1, 1, 2)))
            else:
                assert committee is not None
                people = [committee_people[committee.pk].pk]
            cases.append(
                MediationCase(
                    number=f"TJ{accepted_at:%Y%m%d}-{index:06d}",
                    source="application",
                    applicant_name="甲",
                    respondent_name="乙",
                    dispute_type=rng.choice(types),
                    amount=Decimal(rng.randrange(0, 5_000_000)) / 100
                    if rng.random() < 0.6
                    else None,
                    facts="邻里纠纷",
                    studio=studio,
                    committee=committee,
                    status=status,
                    accepted_at=accepted_at,
                    due_at=due_at,
                    concluded_at=concluded_at,
                )
            )
            links.append(people)
        with transaction.atomic():
            created = MediationCase.objects.bulk_create(cases)
            through.objects.bulk_create(
                through(mediationcase_id=case.pk, user_id=person)
                for case, people in zip(created, links, strict=True)
                for person in people
            )
            add_agreements(created, rng)
        made += len(cases)
        print(f"  {made:,} cases", flush=True)


def add_agreements(cases: list[Any], rng: random.Random) -> None:
    """An agreement with one to three terms for nine in ten succeeded cases, signed the day it
    succeeded, its terms due within 60 days; four in five of those due fully performed."""
    # Django is set up by the caller: these imports need it.
    from jieban.mediation.models import Agreement, AgreementTerm, CaseStatus

    agreements = []
    terms: list[list[dt.date]] = []
    for case in cases:
        if case.status != CaseStatus.SUCCEEDED or rng.random() < 0.1:
            continue
        signed_on = case.concluded_at.astimezone(ZONE).date()
        due = sorted(
            signed_on + dt.timedelta(days=rng.randrange(0, 60)) for _ in range(rng.randint(1, 3))
        )
        performed = rng.random() < 0.8
        agreements.append(
            Agreement(
                case=case,
                facts="邻里纠纷",
                applicant_responsibility="无",
                respondent_responsibility="赔偿",
                signed_on=signed_on,
                visit_due_on=signed_on + dt.timedelta(days=15),
                last_due_on=due[-1],
                performed_at=case.concluded_at + dt.timedelta(days=61) if performed else None,
            )
        )
        terms.append(due)
    created = Agreement.objects.bulk_create(agreements)
    AgreementTerm.objects.bulk_create(
        AgreementTerm(
            agreement=agreement,
            position=position,
            obligor="respondent",
            content="赔偿",
            method="转账",
            due_on=day,
            performance="performed" if agreement.performed_at else "",
        )
        for agreement, due in zip(created, terms, strict=True)
        for position, day in enumerate(due, start=1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build the cache, time nothing")
    args = parser.parse_args()
    cached = HERE / "out" / f"mediation-{args.cases}"
    template = cached / "template.sqlite3"
    work = HERE / "out" / "mediation-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    building = args.rebuild or not template.exists()
    if not building:
        shutil.copy(template, work / "jieban.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from jieban.mediation.models import MediationCase
    from jieban.org.models import User
    from jieban.stats import mediation_rollups
    from jieban.stats.models import MediationDirtyDay
    from jieban.stats.reports import build_report

    if building:
        started = time.perf_counter()
        build(args.cases)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.rmtree(cached, ignore_errors=True)
        cached.mkdir(parents=True)
        shutil.copy(work / "jieban.sqlite3", template)
        print(f"built {args.cases:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
    if args.build_only:
        return
    call_command("migrate", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if MediationDirtyDay.objects.exists():
        started = time.perf_counter()
        while mediation_rollups.refresh():
            pass
        seconds = time.perf_counter() - started
        print(f"mediation rollups built from {args.cases:,} cases in {seconds:.1f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(work / "jieban.sqlite3", template)  # the cache keeps them
    user = User.objects.get(username="leader")
    client = Client(HTTP_HOST="localhost")  # a host ALLOWED_HOSTS serves by default
    client.force_login(user)
    year = "start=2026-01-01&end=2027-01-01"
    runs: list[tuple[str, Callable[[], object]]] = []
    for group_by in ("studio", "mediator", "level", "dispute_type"):
        path = f"/api/v1/mediation/stats?{year}&group_by={group_by}"
        runs.append((f"GET mediation/stats by {group_by}", lambda path=path: ok(client, path)))
    path = f"/api/v1/mediation/stats?{year}&period=month&group_by=studio"
    runs.append(("GET mediation/stats by month, studio", lambda path=path: ok(client, path)))
    path = f"/api/v1/mediation/stats?{year}"
    runs.append(("GET mediation/stats, the year", lambda path=path: ok(client, path)))
    runs.append(
        (
            "page /stats/mediation/ (a month, by studio)",
            lambda: ok(client, "/stats/mediation/?start=2026-10-01&end=2026-10-31"),
        )
    )
    runs.append(
        ("monthly mediation report 2026-10", lambda: build_report(user, "mediation", "2026-10"))
    )
    runs.append(("leader's home", lambda: ok(client, "/")))
    changing = MediationCase.objects.filter(concluded_at__isnull=False).order_by("pk")[:1000]
    changed = iter([case.pk for case in changing] * 2)
    by_studio = f"/api/v1/mediation/stats?{year}&group_by=studio"

    def after_a_change() -> None:
        # Behind the actions' back, as any write: the triggers mark the case's days dirty.
        MediationCase.objects.filter(pk=next(changed)).update(dispute_type="other")
        ok(client, by_studio)

    runs.append(("a case changed, then the year by studio", after_a_change))
    mediator = Client(HTTP_HOST="localhost")
    mediator.force_login(User.objects.get(username="m000"))
    path = f"/api/v1/mediation/stats?{year}&group_by=mediator"
    runs.append(("a studio's mediator: the year by mediator", lambda: ok(mediator, path)))
    for name, work_item in runs:
        work_item()  # warm: the first request of a kind loads templates and code
        p50, p95, cpu50, cpu95 = timed(args.runs, work_item)
        print(
            f"{name:44} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
            f"   (CPU p50 {cpu50:6.1f}, p95 {cpu95:6.1f})",
            flush=True,
        )


def ok(client: object, path: str) -> None:
    response = client.get(path)  # type: ignore[attr-defined]
    assert response.status_code == 200, (path, response.status_code)


if __name__ == "__main__":
    main()
