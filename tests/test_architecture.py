"""The shape of realtime/'s import graph, measured (docs/architecture.md, "How realtime/
is layered").

Every import of a realtime module by another counts, wherever it is written: at module
level, under ``if TYPE_CHECKING:``, inside a function. A module's level is 1 when it
imports nothing of realtime, else one more than the highest level it imports. Then:
no import cycle, every import goes down a level or more (none back up), at most
``MAX_LEVELS`` levels.

    python -m tests.test_architecture      # print the figures and the levels

The last tests keep docs/architecture.md true to the code: every path and every
``realtime.``/``townhall.``/``facilitation.`` name it gives exists, and it links every
decision of docs/decisions/.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "realtime"
ROOT = Path(__file__).resolve().parent.parent
MAX_LEVELS = 6

Graph = dict[str, set[str]]


def modules(package: str = PACKAGE) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(node: ast.AST, known: dict[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
        # "from realtime.log import memory" imports the module realtime.log.memory
        names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
    else:
        return
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            yield name


def graph(package: str = PACKAGE) -> Graph:
    """Module -> the modules of ``package`` it imports, anywhere in its file."""
    known = modules(package)
    edges: Graph = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(node, known):
                if target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def levels(edges: Graph) -> dict[str, int]:
    """1 + the highest level imported (an import closing a cycle is not followed)."""
    level: dict[str, int] = {}

    def of(v: str, path: frozenset[str]) -> int:
        if v not in level:
            below = [of(w, path | {v}) for w in edges[v] if w not in path | {v}]
            level[v] = 1 + max(below, default=0)
        return level[v]

    for v in sorted(edges):
        of(v, frozenset())
    return level


def test_realtime_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_every_import_in_realtime_goes_down_a_level() -> None:
    edges = graph()
    level = levels(edges)
    upward = [(a, b) for a, targets in edges.items() for b in targets if level[b] >= level[a]]
    assert sorted(upward) == []


def test_realtime_is_at_most_six_levels_deep() -> None:
    assert max(levels(graph()).values()) <= MAX_LEVELS


def main() -> int:
    edges = graph()
    level = levels(edges)
    count = sum(len(targets) for targets in edges.values())
    upward = sum(1 for a, targets in edges.items() for b in targets if level[b] >= level[a])
    print(
        f"{PACKAGE}/: {len(edges)} modules, {count} imports, {max(level.values())} levels, "
        f"{upward} imports back up, {len(cycles(edges))} cycles"
    )
    for n in range(1, max(level.values()) + 1):
        names = sorted(m.removeprefix(PACKAGE + ".") for m, x in level.items() if x == n)
        print(f"  {n}: {' '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# -- docs/architecture.md stays true to the code ------------------------------------------

DOC = ROOT / "docs" / "architecture.md"
_PATH = re.compile(r"`((?:facilitation|realtime|townhall|tests|bench|frontend|docs)/[\w/.-]*)`")
_NAME = re.compile(r"`((?:facilitation|realtime|townhall)(?:\.\w+)+)")


def _resolves(dotted: str) -> bool:
    """A module, or a name inside one (``realtime.server.open_log``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(found, attr):
                return False
            found = getattr(found, attr)
        return True
    return False


def test_every_path_the_architecture_doc_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [p for p in _PATH.findall(text) if not (ROOT / p).exists()]
    assert missing == []


def test_every_module_and_name_the_architecture_doc_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = sorted({n for n in _NAME.findall(text) if not _resolves(n)})
    assert missing == []


def test_the_architecture_doc_links_every_decision() -> None:
    text = DOC.read_text(encoding="utf-8")
    decisions = sorted(p.name for p in (ROOT / "docs" / "decisions").glob("[0-9]*.md"))
    assert decisions
    assert [d for d in decisions if f"(decisions/{d})" not in text] == []
