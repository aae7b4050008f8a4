"""Where clusters come from: the :class:`~faultline.backends.protocol.Backend` protocol and
its registry.

``BACKENDS`` is the registry (:class:`faultline.core.registry.Registry`):
``BACKENDS.get("compose")`` is the docker compose backend (:mod:`faultline.backends.compose`),
``BACKENDS.names()`` every backend's name (the ``--backend`` choices). A backend module
registers by defining ``BACKEND``; see :mod:`faultline.backends.protocol`.
"""

from faultline.backends.protocol import Backend, ClusterInfo, ImageStatus
from faultline.core.registry import Registry

BACKENDS: Registry[Backend] = Registry("backend", __name__, "BACKEND")

DEFAULT_BACKEND = "compose"
"""The ``--backend`` when none is given, and the backend of runs recorded before there
was a choice."""

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "ClusterInfo", "ImageStatus"]
