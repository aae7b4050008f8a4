"""Rendering of run results (analysis lives in the checkers; this only presents it)."""

from checkers.report.html import counterexample_text, render_report
from checkers.report.summary import nemesis_ops, op_counts
from checkers.report.timeline import timeline

__all__ = ["counterexample_text", "nemesis_ops", "op_counts", "render_report", "timeline"]
