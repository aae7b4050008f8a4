"""Pure analysis of histories: linearizability (models, search, importers of other tools'
histories), the run's op counts (:mod:`faultline.checkers.stats`) and checker results.
Each checker's result names its ``kind`` (``"linearizable"``); :mod:`faultline.render`
presents results and computes nothing a verdict depends on."""

from faultline.checkers.linearizable import Linearizable, check_linearizable
from faultline.checkers.models import CAS_MISMATCH, MODEL_NAMES, get_model
from faultline.checkers.stats import op_counts
from faultline.core.result import UNKNOWN, Checker, Result, compose, merge_validity, safe_check

__all__ = ["CAS_MISMATCH", "MODEL_NAMES", "UNKNOWN", "Checker", "Linearizable", "Result",
           "check_linearizable", "compose", "get_model", "merge_validity", "op_counts",
           "safe_check"]
