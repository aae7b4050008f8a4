"""The databases faultline tests: one module (or package) each, and their registry.

``DBS`` is the registry (:class:`faultline.core.registry.Registry`): ``DBS.get("etcd")``
is etcd's :class:`~faultline.dbs.protocol.DB`, ``DBS.names()`` every db's name. A db
module registers by defining ``DB``; see :mod:`faultline.dbs.protocol`.
"""

from faultline.core.registry import Registry
from faultline.dbs.protocol import CLOCK_IMAGE, DB, DEFAULT_IMAGE, Database, Image, client_factory, image

DBS: Registry[DB] = Registry("db", __name__, "DB")

__all__ = ["CLOCK_IMAGE", "DB", "DBS", "DEFAULT_IMAGE", "Database", "Image", "client_factory", "image"]
