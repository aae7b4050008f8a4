"""Rendering of run results (analysis lives in the checkers; this only presents it)."""

from faultline.render.html import counterexample_text, render_report
from faultline.render.summary import nemesis_ops, op_counts
from faultline.render.timeline import timeline

__all__ = ["counterexample_text", "nemesis_ops", "op_counts", "render_report", "timeline"]
