"""Where the package's import graph is read: every ``import`` of every module of ``modellix_typed`` (top level,
inside functions, under ``TYPE_CHECKING``; relative or absolute), found with :mod:`ast` without importing."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "modellix_typed"


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root`` (the folder holding ``modellix_typed``) by dotted name,
    the generated models included."""
    found = {}
    paths = []
    for folder, _, files in os.walk(root / PACKAGE, followlinks=True):  # models/ links into generated/
        paths += [Path(folder) / name for name in files if name.endswith(".py")]
    for path in sorted(paths):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, tree: ast.AST, known: dict[str, Path]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # ``from pkg import mod`` imports the module ``pkg.mod``, else ``pkg``
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports (``from a.b import c`` counts ``a.b.c`` when that is a module,
    else ``a.b``). Importing a package's submodule also runs the package's ``__init__``: not counted, so that a
    lazy ``__init__`` that re-exports its children is not an edge back from every child."""
    known = modules(root)
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges[name] = {target for target in _imported(name, path, tree, known) if target in known and target != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One closed import path through each strongly connected component of more than one module."""
    return [_cycle_in(component, edges) for component in components(edges)]


def components(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted: the import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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
            visit(node)
    return found


def _cycle_in(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One closed path through a strongly connected ``component``, from its first module back to it."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(edges[node] & members):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    return component  # unreachable for a real component
