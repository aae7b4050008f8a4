"""The Elle checker agrees with Elle on every row of the Elle corpus (../shared/corpus/elle:
manifest.csv, manifest_paired.csv; README.md there explains the columns and flags), and
its detectors agree with the detector-level rows (manifest_subfunctions.csv).

Each row's checker options (EDN, as Elle's test passed them) are translated to ours; the
workload is inferred from the history and must equal the row's. Flags:
PERFORMANCE-DEPENDENT rows need only the validity; the KNOWN ELLE LIMITATION row (a read
of a value nobody wrote) must be invalid here, where Elle says valid. Every cycle we report
is checked edge by edge against the dependency graph the inference built, so an anomaly
beyond Elle's is a real one (:data:`BEYOND_ELLE`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest

from faultline.checkers.elle import check_elle, txns_from_history, workload_of
from faultline.checkers.elle.check import REGISTER_EXPLAIN_ORDER, _analyze
from faultline.checkers.elle.consistency import CYCLE_TYPES, canonical_model
from faultline.checkers.elle.cycles import strongly_connected_components
from faultline.checkers.elle.graph import (
    PROCESS, REALTIME, RW, WR, WW, DepGraph, process_edges, realtime_edges,
)
from faultline.checkers.elle.internal import list_append_internal, register_internal
from faultline.checkers.elle.writes import aborted_reads, intermediate_reads
from faultline.checkers.importers import load_history
from faultline.checkers.importers.edn import loads, read_records, to_plain

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("FAULTLINE_CORPUS", REPO.parent / "shared" / "corpus")) / "elle"
RELS = {"ww": WW, "wr": WR, "rw": RW, "process": PROCESS, "realtime": REALTIME}
# Anomalies we find that Elle's search misses, per file, with why (each cycle is verified).
BEYOND_ELLE = {
    # T11 -rw-> T16 -ww-> T27 -ww-> T30 -ww-> T10 -wr-> T11 follows from Elle's own version
    # orders; Elle finds the G0 in that component and its search misses this cycle.
    "cases/la-sim-prefix-test.edn": {"G-single-item"},
}
# Above about a second each (mostly the EDN parse), measured with --durations.
SLOW_FILES = frozenset({"cases/la-unfindable-g-single.edn", "cases/la-file-huge-scc.edn"})
_OPTION_NAMES = {"linearizable-keys?": "linearizable_keys", "sequential-keys?": "sequential_keys",
                 "wfr-keys?": "wfr_keys"}
_IGNORED = {"directory", "plot-format"}  # only make Elle write files


def _rows(name: str) -> list[dict[str, str]]:
    path = CORPUS / name
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _params(name: str) -> list:
    rows = _rows(name)
    if not rows:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"Elle corpus not found at {CORPUS} (set FAULTLINE_CORPUS)"))]
    return [pytest.param(row, id=f"{row['file']} "
                                 f"{row.get('checker_options') or row.get('function')}",
                         marks=[pytest.mark.slow] if row["file"] in SLOW_FILES else [])
            for row in rows]


def elle_options(text: str) -> dict[str, Any]:
    """A row's Elle options as keyword arguments of check_elle (or ``analyzer``)."""
    raw = {to_plain(k): v for k, v in loads(text)[0].items()} if text.strip() else {}
    out: dict[str, Any] = {"options": {}}
    for key, value in raw.items():
        if key == "consistency-models":
            out["models"] = [] if value is None else to_plain(value)
        elif key == "anomalies":
            out["anomalies"] = to_plain(value)
        elif key == "analyzer":
            out["analyzer"] = to_plain(value)
        elif key == "transaction-order":
            out["options"]["transaction_order"] = {int(k): v for k, v in value.items()}
        elif key in _OPTION_NAMES:
            out["options"][_OPTION_NAMES[key]] = value
        else:
            assert key in _IGNORED, f"untranslated Elle option {key}"
    return out


def _names(cell: str) -> list[str]:
    return sorted(word.lstrip(":") for word in cell.split())


def _graph(history, workload: str, options: dict, realtime: bool, process: bool):
    txns = txns_from_history(history)
    graph = DepGraph(len(txns), **({"explain_order": REGISTER_EXPLAIN_ORDER}
                                   if workload == "rw-register" else {}))
    _analyze(workload, txns, graph, options)
    if realtime:
        realtime_edges(txns, graph)
    elif process:
        process_edges(txns, graph)
    return txns, graph


def assert_cycles_are_edges(history, workload: str, options: dict, result) -> None:
    kinds = [k for k in result.data["anomaly_types"] if k in CYCLE_TYPES]
    if not kinds:
        return
    realtime = any(k.endswith("-realtime") for k in kinds) or "strict-serializable" in str(
        result.data["models"])
    _, graph = _graph(history, workload, options["options"], realtime,
                      any(k.endswith("-process") for k in kinds))
    for kind in kinds:
        for anomaly in result.data["anomalies"][kind]:
            steps = anomaly["steps"]
            ids = [t["txn"] for t in anomaly["cycle"]]
            assert [s["from"] for s in steps] == ids
            assert [s["to"] for s in steps] == ids[1:] + ids[:1]
            for s in steps:  # an edge of the graph, named by the relation explaining it
                assert graph.explained[graph.rels(s["from"], s["to"])] == RELS[s["rel"]], (kind, s)


def check_row(row: dict[str, str]) -> None:
    history = load_history(CORPUS / row["file"]).history
    assert workload_of(history) == row["workload"]
    kwargs = elle_options(row["checker_options"])
    notes = row["notes"]
    if "analyzer" in kwargs:
        return check_analyzer_row(row, history, kwargs)
    result = check_elle(history, workload=row["workload"], options=kwargs["options"],
                        models=kwargs.get("models"), anomalies=kwargs.get("anomalies", ()))
    data = result.data
    assert_cycles_are_edges(history, row["workload"], kwargs, result)
    valid = {True: "true", False: "false", "unknown": "unknown"}[result.valid]
    if "KNOWN ELLE LIMITATION" in notes:
        assert valid == "false" and "garbage-read" in data["anomaly_types"], data
        return
    if row["expected_valid"]:
        assert valid == row["expected_valid"], data
    if "PERFORMANCE-DEPENDENT" in notes or "NO EXPECTATION" in notes:
        return
    expected = set(_names(row["expected_anomaly_types"]))
    beyond = BEYOND_ELLE.get(row["file"], set())
    assert set(data["anomaly_types"]) - beyond == expected, data["anomaly_types"]
    assert beyond <= set(data["anomaly_types"])
    if row["expected_not"] or "not=#{}" in notes:
        assert ({canonical_model(m) for m in data["not"]}
                == {canonical_model(m) for m in _names(row["expected_not"])}), data["not"]


def check_analyzer_row(row, history, kwargs) -> None:
    """Elle's graph-level check: valid iff the analyzer's graph has no cycle."""
    txns, graph = _graph(history, row["workload"], kwargs["options"], False, False)
    only = WR if kwargs["analyzer"].endswith("wr-graph") else WW | WR | RW
    succ = [[b for b, rels in graph.successors(a).items() if rels & only]
            for a in range(len(txns))]
    cyclic = bool(strongly_connected_components(succ))
    assert (not cyclic) == (row["expected_valid"] == "true")


@pytest.mark.parametrize("row", _params("manifest.csv"))
def test_agrees_with_elle(row):
    check_row(row)


@pytest.mark.parametrize("row", _params("manifest_paired.csv"))
def test_agrees_with_elle_on_paired_histories(row):
    check_row(row)


# --- detector-level rows -------------------------------------------------------------------

def _last(read):
    return read[-1:] if read else ()


DETECTORS = {
    "elle.list-append/g1b-cases": lambda txns: intermediate_reads(txns, "append", _last),
    "elle.list-append/internal-cases": list_append_internal,
    "elle.rw-register/g1a-cases": lambda txns: aborted_reads(txns, "w", lambda v: (v,)),
    "elle.rw-register/g1b-cases": lambda txns: intermediate_reads(txns, "w", lambda v: (v,)),
    "elle.rw-register/internal-cases": register_internal,
}


def _as_elle(case: dict, elle_index: list[int], txns) -> dict:
    """Our case in the shape of Elle's test expectation (ops as Elle's :index)."""
    out = {"op": elle_index[txns[case["txn"]].index], "mop": case["mop"]}
    if "writer" in case:
        out["writer"] = elle_index[txns[case["writer"]].index]
    if "expected" in case:
        expected = case["expected"]
        out["expected"] = ["...", *expected] if case.get("prefix_unknown") else expected
    if "element" in case and "writer" not in case:
        out["element"] = case["element"]
    return out


@pytest.mark.parametrize("row", _params("manifest_subfunctions.csv"))
def test_detectors_agree_with_elle(row):
    path = CORPUS / row["file"]
    history = load_history(path).history
    txns = txns_from_history(history)
    elle_index = [to_plain(r.get(next(k for k in r if to_plain(k) == "index")))
                  for _, r in read_records(path.read_text())]
    found = DETECTORS[row["function"]](txns)
    expected = to_plain(loads(row["expected_result"])[0])
    if isinstance(found, dict):
        got = {kind: [_as_elle(c, elle_index, txns) for c in cases]
               for kind, cases in found.items()}
        expected = expected or {}
    else:
        got = [_as_elle(c, elle_index, txns) for c in found]
        expected = expected or []
        if row["function"] == "elle.rw-register/g1a-cases":
            got = [{k: v for k, v in c.items() if k != "element"} for c in got]
    assert got == expected
