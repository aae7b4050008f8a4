"""Pure analysis of histories: linearizability (models, search, importers of other tools'
histories) and checker results; report/ computes the run's figures and renders them."""

from faultline.checkers.linearizable import Linearizable, check_linearizable
from faultline.checkers.models import CAS_MISMATCH, MODEL_NAMES, get_model
from faultline.core.result import UNKNOWN, Checker, Result, compose, merge_validity, safe_check

__all__ = ["CAS_MISMATCH", "MODEL_NAMES", "UNKNOWN", "Checker", "Linearizable", "Result",
           "check_linearizable", "compose", "get_model", "merge_validity", "safe_check"]
