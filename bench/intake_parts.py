"""Where one `POST /api/v1/tickets` spends its time, in process: the parts of the intake timed.

It builds a throw-away data directory as bench/intake.py does (SQLite, WAL, synchronous=FULL;
a bureau, its command centre, a dispatcher and an API token), then posts tickets of the same
shapes as bench/post_ticket.lua through Django's test client, no HTTP server: `--warm`
tickets first (the earlier reports the suggestions then compare with), then `--tickets` timed.
Each part of the intake is timed by wrapping its function; the figures are milliseconds per
request, wall time, one thread. The server's own cost (gunicorn, HTTP) is bench/intake.py's.

    .venv/bin/python bench/intake_parts.py [--warm 1500] [--tickets 500]
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from intake import LUA, cpu_model, load_average, prepare_data, server_env  # noqa: E402


def lua_texts(name: str) -> list[str]:
    """The texts of a list bench/post_ticket.lua declares (`local NAME = { "…", … }`): the
    tickets posted here are the ones wrk posts."""
    found = re.search(rf"local {name} = \{{(.*?)\}}", LUA.read_text(), re.S)
    if found is None:
        raise SystemExit(f"bench: no list {name} in {LUA}")
    return re.findall(r'"([^"]*)"', found.group(1))


CATEGORIES = lua_texts("categories")
CONTENTS = lua_texts("contents")
# The parts timed: (module, function), as `register_and_suggest` and the API call them.
PARTS = [
    ("jieban.api.routers.tickets", "register_and_suggest"),
    ("jieban.suggestions.actions", "_work_out"),
    ("jieban.suggestions.actions", "similar_tickets"),
    ("jieban.suggestions.actions", "suggest_place_and_unit"),
    ("jieban.suggestions.actions", "category_suggestions_for"),
    ("jieban.intake.actions", "_prepared"),
    ("jieban.intake.actions", "_store_batch"),
]


def body(serial: int) -> dict[str, str]:
    """A ticket as bench/post_ticket.lua sends it."""
    pick = serial % len(CATEGORIES)
    return {
        "channel": "open311",
        "external_id": f"parts-{serial}",
        "category": CATEGORIES[pick],
        "title": f"压测工单 {serial}",
        "content": f"{CONTENTS[pick]}（压测 {serial}）",
        "resident_name": "张三",
        "resident_phone": f"139{serial * 1000003 % 100000000:08d}",
        "address": f"青川县城关镇文昌社区{serial % 40 + 1}栋",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=1500, help="tickets posted first (1500)")
    parser.add_argument("--tickets", type=int, default=500, help="tickets timed (500)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="jieban-bench-parts-"))
    env = server_env(data_dir, workers=None, web_threads=None)
    token = prepare_data(env)
    os.environ.update(env)
    try:
        return measure(token, args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(token: str, args: argparse.Namespace) -> int:
    import importlib

    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    serials = iter(range(1, 10**9))

    def post() -> None:
        response = client.post(
            "/api/v1/tickets",
            json.dumps(body(next(serials))),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        if response.status_code != 201:
            raise SystemExit(f"bench: HTTP {response.status_code}: {response.content[:300]!r}")

    spent: dict[str, float] = collections.defaultdict(float)

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*call_args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*call_args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return wrapper

    for module_name, name in PARTS:
        module = importlib.import_module(module_name)
        setattr(module, name, timed(name, getattr(module, name)))

    for _ in range(args.warm):
        post()
    spent.clear()
    started = time.perf_counter()
    for _ in range(args.tickets):
        post()
    total = time.perf_counter() - started
    count = args.tickets
    print(f"bench: machine       {cpu_model()}, {os.cpu_count()} cores")
    print(f"bench: load average  {load_average()}")
    print(f"bench: tickets       {args.warm} posted first, {count} timed")
    print(f"bench: request       {total / count * 1000:.2f} ms (the whole POST, in process)")
    for _module, name in PARTS:
        print(f"bench:   {name:26s} {spent[name] / count * 1000:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
