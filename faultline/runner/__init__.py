"""Running tests: the top layer, the only one that wires dbs, workloads, faults, backends,
checkers and rendering together.

- :func:`build_test` (:mod:`.spec`): options -> a validated :class:`TestPlan` whose parts
  come from the registries;
- :func:`run_test` (:mod:`.run`): a plan -> a run directory with history, verdict and
  report (:class:`RunOutcome`); :func:`check_history` checks a stored history again;
- the engine underneath: :mod:`.interpreter` (the only writer of the history),
  :mod:`.workers`, :mod:`.progress` (the terminal's progress line), :mod:`.logs`
  (harness.log and the terminal), :mod:`.signals`.

The names of :mod:`.run` load on first use, so validating options (``faultline test``
with bad arguments, ``--help``) does not import the engine, the renderer or the clients.
"""

from faultline.runner.spec import RUN_OPTIONS, TestPlan, build_test

_FROM_RUN = ("RunOutcome", "check_history", "exit_code_for", "run_test")

__all__ = ["RUN_OPTIONS", "TestPlan", "build_test", *_FROM_RUN]


def __getattr__(name: str):
    if name in _FROM_RUN:
        from faultline.runner import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
