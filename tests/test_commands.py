"""The `jieban` commands people type: units, people, tokens."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jieban.org.models import User
from tests.conftest import ApiClient, Cast


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class TestUnits:
    def test_it_lists_one_unit_a_line_tab_separated(self, cast: Cast) -> None:
        lines = run("unit", "list").splitlines()
        rows = {line.split("\t")[0]: line.split("\t") for line in lines}
        assert rows["PS-A"] == ["PS-A", "station", "甲派出所", "BUR"]
        assert rows["BUR"] == ["BUR", "bureau", "测试县公安局", ""]
        assert rows["G-01"][1] == "grid"

    def test_it_adds_a_unit_under_a_parent(self, cast: Cast) -> None:
        run("unit", "add", "PS-C", "--kind", "station", "--name", "丙派出所", "--parent", "BUR")
        assert "PS-C\tstation\t丙派出所\tBUR" in run("unit", "list")

    def test_it_refuses_an_unknown_parent(self, cast: Cast) -> None:
        with pytest.raises(CommandError, match="NOPE"):
            run("unit", "add", "PS-C", "--kind", "station", "--name", "丙", "--parent", "NOPE")


class TestPeople:
    def test_it_creates_a_person_with_a_role_and_unit(self, cast: Cast) -> None:
        run(
            "user",
            "create",
            "wang",
            "--role",
            "unit_handler",
            "--unit",
            "PS-B",
            "--password",
            "long-enough-1",
        )
        person = User.objects.get(username="wang")
        assert (person.role, person.unit.code if person.unit else None) == ("unit_handler", "PS-B")
        assert person.check_password("long-enough-1")

    def test_it_prints_a_generated_password(self, cast: Cast) -> None:
        out = run("user", "create", "li", "--role", "dispatcher", "--unit", "CC")
        password = out.splitlines()[-1].removeprefix("password: ")
        assert User.objects.get(username="li").check_password(password)

    def test_it_refuses_an_unknown_unit_and_a_duplicate(self, cast: Cast) -> None:
        with pytest.raises(CommandError, match="NOPE"):
            run("user", "create", "zhao", "--role", "unit_handler", "--unit", "NOPE")
        with pytest.raises(CommandError):
            run("user", "create", "dispatcher", "--role", "dispatcher", "--unit", "CC")

    def test_a_unit_role_needs_a_unit(self, cast: Cast) -> None:
        with pytest.raises(CommandError):
            run("user", "create", "zhao", "--role", "unit_handler", "--password", "long-enough-1")


class TestTokens:
    def test_it_prints_the_token_alone_and_it_authenticates(self, cast: Cast) -> None:
        out = run("token", "create", "handler_a")
        assert len(out.splitlines()) == 1
        client = ApiClient(None, raw_token=out.strip())
        assert client.get("/tickets").status_code == 200

    def test_it_refuses_an_unknown_user(self, cast: Cast) -> None:
        with pytest.raises(CommandError):
            run("token", "create", "nobody")
