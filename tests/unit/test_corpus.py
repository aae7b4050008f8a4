"""Our verdict equals the reference checker's on every file of the shared corpus.

The corpus (../shared/corpus from the repository root, or $FAULTLINE_CORPUS) lists each
file in manifest.csv with its expected verdict. The format and model come from the
file's content (load_history with fmt="auto"); nothing is derived from the file name.
Files that take more than about a second are marked ``slow``: they are listed in
SLOW_FILES, measured with ``pytest tests/unit/test_corpus.py --durations=0``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from faultline.checkers.importers import load_history
from faultline.checkers.linearizable import check_linearizable

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("FAULTLINE_CORPUS", REPO.parent / "shared" / "corpus"))
MANIFEST = CORPUS / "manifest.csv"
EXPECTED = {"linearizable": True, "not-linearizable": False}
# Generous: a correct search decides every corpus file in well under this; hitting it
# makes the test fail with "unknown" instead of hanging the suite.
TIME_LIMIT_S = 120.0
# Measured on the 2-core workplace machine: the files above ~1 s with the current search.
SLOW_FILES = frozenset({
    "porcupine/kv/c50-ok.txt",
})


def _manifest_rows() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with open(MANIFEST, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _params() -> list:
    rows = _manifest_rows()
    if not rows:
        return [pytest.param(None, None, marks=pytest.mark.skip(
            reason=f"corpus manifest not found at {MANIFEST} (set FAULTLINE_CORPUS)"))]
    return [
        pytest.param(row["file"], row["expected"], id=row["file"],
                     marks=[pytest.mark.slow] if row["file"] in SLOW_FILES else [])
        for row in rows
    ]


@pytest.mark.parametrize("file, expected", _params())
def test_verdict_matches_reference(file: str, expected: str) -> None:
    assert expected in EXPECTED, f"manifest has an unknown verdict {expected!r}"
    imported = load_history(CORPUS / file)
    result = check_linearizable(imported.history, imported.model, time_limit=TIME_LIMIT_S)
    assert result.valid is EXPECTED[expected], (
        f"{file}: expected {expected}, got {result.valid!r} "
        f"({imported.format}, model {imported.model_name}, {result.data.get('reason', '')})"
    )


def test_manifest_lists_the_whole_corpus() -> None:
    rows = _manifest_rows()
    if not rows:
        pytest.skip(f"corpus manifest not found at {MANIFEST} (set FAULTLINE_CORPUS)")
    assert len(rows) == 165
    missing = [row["file"] for row in rows if not (CORPUS / row["file"]).is_file()]
    assert not missing, f"manifest names files that are not there: {missing[:5]}"
