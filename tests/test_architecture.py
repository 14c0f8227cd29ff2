"""The import graph keeps the shape ARCHITECTURE.md draws: read from the source with `ast`.

Every app declares the apps it may import (`MAY_IMPORT`); a new app fails here until it is
given its row, so the table and ARCHITECTURE.md stay the whole truth. Domain apps never import
an interface (`web`, `api`), `tickets` never imports `stats`, the worker imports no app at all,
no module takes part in an import cycle, and an import inside a function says why in a comment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "jieban"

# Modules at the package's root that are not apps.
# For everyone; `request_log` too, for the worker's name on its log records; `databases` is
# the replica router the statistics' selectors read through.
SHARED = {
    "errors",
    "conf",
    "inputs",
    "files",
    "sheets",
    "addresses",
    "rows",
    "request_log",
    "databases",
}
INTERFACE_SHARED = {"http"}  # for the interfaces
ROOT = {"settings", "urls", "wsgi", "cli", "__main__", "__init__"}
# The one module of the worker that apps import: the contract of a job (their jobs.py).
JOB_CONTRACT = "jieban.worker.registry"

DOMAIN = {
    "org": set(),
    "workcalendar": {"org"},
    "notify": {"org"},
    "tickets": {"org", "workcalendar", "notify"},
    "intake": {"org", "workcalendar", "tickets"},
    "stats": {"org", "workcalendar", "tickets", "mediation"},
    # The phone reports (随手报) enter the one intake as tickets.
    "community": {"org", "workcalendar", "tickets", "intake"},
    "mediation": {"org", "notify", "tickets", "workcalendar"},
    "exchange": {"org", "notify", "tickets", "workcalendar", "intake", "suggestions"},
    # Suggestions at intake: the category, earlier reports, the grid and unit from the address
    # (the community network's buildings), dispatch rules.
    "suggestions": {"org", "workcalendar", "tickets", "intake", "community"},
    # Operating the system: backups, health and metrics read what the other apps hold.
    "ops": {"org", "notify", "tickets", "exchange"},
}
MAY_IMPORT: dict[str, set[str]] = {
    **DOMAIN,
    # The worker runs the jobs each app contributes; it knows no app.
    "worker": set(),
    # The demo builds a bureau through the domain's own rules.
    "demo": {
        "org",
        "workcalendar",
        "tickets",
        "intake",
        "stats",
        "community",
        "mediation",
        "exchange",
        "suggestions",
    },
    # The interfaces call the domain; neither calls the other.
    "api": set(DOMAIN),
    "web": set(DOMAIN) | {"wsgi"},
}
INTERFACES = {"web", "api"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported jieban module, dotted
    line: int
    in_function: bool
    explained: bool  # a comment on the line or the line above says why


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> Iterator[Import]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def explained(line: int) -> bool:
        here = lines[line - 1]
        above = lines[line - 2] if line >= 2 else ""
        return "#" in here or above.strip().startswith("#")

    def visit(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                    for alias in child.names
                ]
            for target in targets:
                if target == "jieban" or target.startswith("jieban."):
                    yield Import(module, target, child.lineno, in_function, explained(child.lineno))
            yield from visit(child, nested)

    yield from visit(tree, False)


def all_imports() -> list[Import]:
    return list(dict.fromkeys(item for path in source_files() for item in imports_of(path)))


def app_of(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_it_reads_the_imports_it_checks() -> None:
    # The checks below mean nothing if the reader finds nothing: these imports exist.
    found = {(item.module, item.target) for item in all_imports()}
    assert ("jieban.tickets.transitions", "jieban.tickets.access") in found
    assert ("jieban.tickets.access", "jieban.org.permissions") in found


def test_every_app_has_its_row_in_the_table() -> None:
    apps = {
        path.parent.name for path in PACKAGE.glob("*/__init__.py") if path.parent.name != "locale"
    }
    assert apps - set(MAY_IMPORT) == set(), "a new app needs its row in MAY_IMPORT"
    assert set(MAY_IMPORT) - apps == set(), "MAY_IMPORT names an app that does not exist"


def test_each_app_imports_only_what_its_row_allows() -> None:
    wrong = []
    for item in all_imports():
        app, target = app_of(item.module), app_of(item.target)
        if app in ROOT | SHARED | INTERFACE_SHARED or target == app or target in SHARED:
            continue
        if item.target == JOB_CONTRACT and item.module == f"jieban.{app}.jobs":
            continue
        if target in INTERFACE_SHARED and app in INTERFACES:
            continue
        if target not in MAY_IMPORT.get(app, set()):
            wrong.append(f"{item.module}:{item.line} imports {item.target}")
    assert wrong == []


@pytest.mark.parametrize("domain", sorted(DOMAIN))
def test_no_domain_app_imports_an_interface(domain: str) -> None:
    assert not MAY_IMPORT[domain] & INTERFACES
    assert [
        f"{item.module}:{item.line} imports {item.target}"
        for item in all_imports()
        if app_of(item.module) == domain and app_of(item.target) in INTERFACES
    ] == []


def test_tickets_never_imports_stats() -> None:
    assert [
        f"{item.module}:{item.line}"
        for item in all_imports()
        if app_of(item.module) == "tickets" and app_of(item.target) == "stats"
    ] == []


def test_the_worker_imports_no_app() -> None:
    assert [
        f"{item.module}:{item.line} imports {item.target}"
        for item in all_imports()
        if app_of(item.module) == "worker" and app_of(item.target) not in {"worker", *SHARED}
    ] == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_cycles_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_takes_part_in_an_import_cycle() -> None:
    # Every import counts, those inside functions too: hiding one there hides the cycle.
    edges: dict[str, set[str]] = {}
    for item in all_imports():
        if item.target != item.module and not item.module.startswith(item.target + "."):
            edges.setdefault(item.module, set()).add(item.target)
    assert cycles(edges) == []


def test_an_import_inside_a_function_says_why() -> None:
    assert [
        f"{item.module}:{item.line} imports {item.target}"
        for item in all_imports()
        if item.in_function and not item.explained
    ] == []
