"""Acting on every node at once, and reading from nodes despite docker losing output.

What every node-level mechanism (clock, partition, packet) and every preflight probe
shares: :func:`on_nodes` runs an action on all nodes side by side, :func:`exec_checked`
runs a command that must succeed, :func:`exec_read` runs a read-only command in one node
again while its output comes back empty, and :func:`probe` reads the verdict of a probe
script (``yes`` or ``no: why`` on its last line).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

from faultline.cluster.protocol import Execable
from faultline.core.errors import ClusterError

T = TypeVar("T")


def on_nodes(nodes: Sequence[str], action: Callable[[str], T]) -> list[T]:
    """``action(node)`` for every node side by side (one docker exec is ~0.1 s), results
    in node order; the first error is raised after all have finished."""
    if not nodes:
        return []
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        futures = [pool.submit(action, n) for n in nodes]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def exec_checked(cluster: Execable, node: str, argv: Sequence[str], what: str) -> str:
    """``cluster.exec`` of a command that must succeed; its output, or ClusterError
    ``could not <what> <node>`` with the exit code and the output's tail."""
    code, out = cluster.exec(node, argv, check=False)
    if code != 0:
        raise ClusterError(f"could not {what} {node}: exit {code}: {out.strip()[-300:]}")
    return out


def exec_read(cluster: Execable, node: str, argv: Sequence[str], attempts: int = 5) -> tuple[int, str]:
    """``cluster.exec`` for a read-only command that always prints something: runs it
    again while its output comes back empty. A docker exec of a short command sometimes
    loses its output (docker/docker-py#2042); re-reading beats misreading a node."""
    code, out = cluster.exec(node, argv, check=False)
    for _ in range(attempts - 1):
        if out.strip():
            break
        code, out = cluster.exec(node, argv, check=False)
    return code, out


def probe(cluster: Execable, node: str, argv: Sequence[str]) -> str:
    """The last line a probe command printed in ``node`` (its verdict: ``yes...`` or
    ``no: why``), or ``probe exited N`` when it printed nothing even when re-read."""
    code, out = exec_read(cluster, node, argv)
    return out.strip().splitlines()[-1] if out.strip() else f"probe exited {code}"


def probe_problems(cluster: Execable, script: str) -> dict[str, str]:
    """Run the shell ``script`` (answering ``yes`` or ``no: why``) in every node; the
    nodes that did not answer ``yes``, each with its reason."""
    nodes = list(cluster.nodes)
    answers = on_nodes(nodes, lambda node: probe(cluster, node, ["sh", "-c", script]))
    return {n: a.removeprefix("no: ") for n, a in zip(nodes, answers) if a != "yes"}
