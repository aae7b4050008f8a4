"""Pure analysis of histories: linearizability, set, stats, perf; rendering lives in report/."""

from checkers.result import UNKNOWN, Checker, Result, compose, merge_validity, safe_check

__all__ = ["UNKNOWN", "Checker", "Result", "compose", "merge_validity", "safe_check"]
