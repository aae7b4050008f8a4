"""Presenting a run's results; the analysis is the checkers' (this computes no verdict).

- :func:`render_report`: ``report.html``, one self-contained page (:mod:`.html`, from the
  jinja2 templates in ``templates/``, :mod:`.markup`), with the matplotlib plots of
  :mod:`.plots` over the data of :func:`timeline`, faults named and coloured by the fault
  registry (:mod:`.faults`);
- each checker's result is shown by the section registered for its ``kind``
  (:mod:`.sections`; :func:`register_section` adds one), anything else as plain facts;
- the page's parts of their own: the whole-run timeline (:mod:`.run_timeline`), the
  counterexample drawn (:mod:`.counterexample_figure`), an Elle cycle drawn
  (:mod:`.cycle_figure`);
- :func:`counterexample_text`: a linearizability counterexample as text, the same for
  ``faultline check`` and the page;
- :func:`summary_lines`: the summary ``faultline test`` and ``faultline analyze`` print;
- :func:`write_index`: ``<results>/index.html``, every run with its verdict.
"""

from faultline.render.counterexample import counterexample_text
from faultline.render.html import render_report
from faultline.render.index import write_index
from faultline.render.sections import SECTIONS, Section, register_section
from faultline.render.summary import summary_lines
from faultline.render.timeline import timeline

__all__ = ["SECTIONS", "Section", "counterexample_text", "register_section", "render_report",
           "summary_lines", "timeline", "write_index"]
