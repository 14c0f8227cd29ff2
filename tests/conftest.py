"""The shared cast: a bureau, its command centre, two stations, a grid, and one person per role.

Everything is set up through the real actions (`create_unit`, `create_person`, `register_ticket`),
never by inserting rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actions import create_person, create_unit
from jieban.org.models import ApiToken, User
from jieban.tickets.models import Ticket
from tests.classifier_data import mapped, model_dir, trained, trained_once  # noqa: F401 - the fixtures
from tests.s3_server import in_the_bucket, s3_server  # noqa: F401 - the fixtures

PASSWORD = "test-pass-123"


@dataclass
class Cast:
    admin: User
    dispatcher: User
    supervisor: User
    leader: User
    handler_a: User
    leader_a: User
    handler_b: User
    grid_officer: User
    building_head: User
    outsider: User


@pytest.fixture
def cast(db: Any) -> Cast:
    create_unit(code="BUR", kind="bureau", name="测试县公安局", name_en="Test County Bureau")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    create_unit(code="PS-A", kind="station", name="甲派出所", name_en="Station A", parent="BUR")
    create_unit(code="PS-B", kind="station", name="乙派出所", name_en="Station B", parent="BUR")
    create_unit(code="COM-A1", kind="community", name="甲一社区", parent="PS-A")
    create_unit(code="G-01", kind="grid", name="第一网格", parent="COM-A1")
    create_unit(code="G-02", kind="grid", name="第二网格", parent="COM-A1")

    def person(name: str, role: str, unit: str | None) -> User:
        return create_person(username=name, role=role, unit=unit, password=PASSWORD)

    return Cast(
        admin=person("admin", "admin", "CC"),
        dispatcher=person("dispatcher", "dispatcher", "CC"),
        supervisor=person("supervisor", "supervisor", "CC"),
        leader=person("leader", "leader", "BUR"),
        handler_a=person("handler_a", "unit_handler", "PS-A"),
        leader_a=person("leader_a", "unit_leader", "PS-A"),
        handler_b=person("handler_b", "unit_handler", "PS-B"),
        grid_officer=person("grid_officer", "grid_officer", "G-01"),
        building_head=person("building_head", "building_head", "G-02"),
        outsider=person("outsider", "mediator", "COM-A1"),
    )


def new_ticket(by: User, **fields: Any) -> Ticket:
    """Register a ticket through the real intake action."""
    values: dict[str, Any] = {
        "channel": "phone",
        "content": "楼上装修噪音很大，晚上十点还在施工。",
        "resident_name": "张三",
        "resident_phone": "13812341234",
        "address": "甲一社区 3 栋 502",
        "category": "renovation_noise",
    }
    values.update(fields)
    ticket, _created = register_ticket(TicketDraft(**values), by=by)
    return ticket


def dispatch(cast: Cast, ticket: Ticket, code: str = "PS-A") -> Ticket:
    """Send `ticket` to the unit `code` as the cast's dispatcher."""
    from jieban.org.models import Unit
    from jieban.tickets import transitions

    return transitions.dispatch_ticket(
        ticket.number, unit=Unit.objects.get(code=code), by=cast.dispatcher
    )


def resolve(cast: Cast, ticket: Ticket, by: Any = None) -> Ticket:
    """Accept and resolve a dispatched ticket, as PS-A's handler unless `by` says otherwise."""
    from jieban.tickets import transitions

    by = by or cast.handler_a
    transitions.accept_ticket(ticket.number, by=by)
    return transitions.resolve_ticket(ticket.number, result="已处理", by=by)


# The figures of a figures row as the pages and the Excel workbook show them, in the
# workbook's column order.
REPORT_FIELDS = (
    "total",
    "resolved",
    "closure_rate",
    "on_time",
    "on_time_rate",
    "visited",
    "satisfied",
    "satisfaction_rate",
    "overdue_open",
    "practical",
    "practical_share",
    "repeats",
    "accepted_on_time",
    "accept_clock_ended",
    "accepted_on_time_rate",
    "first_visited",
    "first_visit_satisfied",
    "first_visit_satisfaction_rate",
    "escalated",
    "extensions",
    "returns",
    "network",
    "network_share",
)


class ApiClient:
    """A JSON client that authenticates as one person with a real bearer token."""

    def __init__(self, user: User | None, raw_token: str | None = None) -> None:
        self.client = Client()
        if raw_token is None and user is not None:
            _token, raw_token = ApiToken.issue(user)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"} if raw_token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", **self.headers
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            f"/api/v1{path}",
            data=json.dumps(body),
            content_type="application/json",
            **self.headers,
        )


@pytest.fixture
def api_as(cast: Cast) -> Any:
    def make(user: User | None) -> ApiClient:
        return ApiClient(user)

    return make


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in the bureau's time zone (Asia/Shanghai in the tests)."""
    from zoneinfo import ZoneInfo

    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "attachments"


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A page asked for in English activates English in the thread, and Django leaves it
    # active: every test starts (and ends) in the bureau's language, whatever ran before.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # What the cache counts (the tracking page's tries per address) starts afresh in each test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_daily_backup(settings: Any) -> None:
    # The worker's daily backup is due at a fresh data directory's first sweep; the tests of
    # sweeps are not about it (tests/test_backup.py turns it on).
    settings.JIEBAN_BACKUP_DAILY = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The cast logs in with real passwords; PBKDF2's deliberate slowness is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Deselect what cannot apply to this run's database: row-lock races mean something on
    PostgreSQL only, and SQLite's own search index exists on SQLite only."""
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    other = "sqlite_only" if on_postgres else "postgres_only"
    keep = [item for item in items if item.get_closest_marker(other) is None]
    dropped = [item for item in items if item.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


# ---------------------------------------------------------------------------------------------
# The cast where a live server sees it, and Jieban run as separate processes


@pytest.fixture
def live_cast(live_server: Any, cast: Cast) -> Cast:
    """The shared cast, committed where the live server's threads see it (a test with the live
    server gets a transactional database), and the default categories, which a transactional
    test before this one flushed with the rest of the database."""
    from jieban.tickets.defaults import create_default_categories
    from jieban.tickets.models import Category

    create_default_categories(Category)
    return cast


PROCESS_PASSWORD = "long-enough-1"


def process_env(data_dir: str, **settings: str) -> dict[str, str]:
    """The environment of a `jieban` subprocess: this one's, with a SQLite database of its own
    in `data_dir` (never the run's DATABASE_URL), and the given JIEBAN_* settings."""
    import os

    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["JIEBAN_DATA_DIR"] = data_dir
    # No daily backup at a fresh data directory's first sweep, unless a test asks for one.
    env["JIEBAN_BACKUP_DAILY"] = "false"
    env.update(settings)
    return env


def run_jieban(env: dict[str, str], *args: str) -> str:
    """Run `jieban ARGS` to its end and return its stdout; a failure shows its stderr."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "jieban", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def set_up_process_bureau(env: dict[str, str]) -> None:
    """A fresh database set up from the command line, as an installer would: migrated, with a
    command centre `CC`, a station `PS` and a dispatcher `d` (password PROCESS_PASSWORD)."""
    run_jieban(env, "migrate", "--noinput", "-v0")
    run_jieban(env, "unit", "add", "CC", "--kind", "centre", "--name", "指挥中心")
    run_jieban(env, "unit", "add", "PS", "--kind", "station", "--name", "派出所")
    run_jieban(
        env,
        "user",
        "create",
        "d",
        "--role",
        "dispatcher",
        "--unit",
        "CC",
        "--password",
        PROCESS_PASSWORD,
    )
