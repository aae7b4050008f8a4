"""faultline in pytest: fixtures that run consistency tests on shared clusters, a test
matrix helper, and results with readable assertions (docs/pytest.md).

- :mod:`faultline.pytest.plugin`: the plugin (``pytest11`` entry point): the
  ``faultline_run``, ``faultline_cluster`` and ``faultline_clusters`` fixtures, the
  ``faultline`` marker, the ``--faultline-*`` options;
- :func:`matrix`: db x workload x nemesis x read mode as one parametrize, ids like
  ``etcd-register-partition,kill``;
- :class:`RunResult`: verdict, anomalies, op counts, run directory, report;
  ``assert_valid()`` and ``assert_flagged()``.

The plugin module is imported by every pytest session, so this package loads its
parts on first use.
"""

__all__ = ["Anomaly", "ClusterPool", "RunResult", "matrix", "spec_id"]

_HOMES = {"Anomaly": "result", "RunResult": "result", "ClusterPool": "clusters",
          "matrix": "parametrize", "spec_id": "parametrize"}


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"faultline.pytest.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
