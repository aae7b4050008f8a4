"""The compose backend as a :class:`~faultline.backends.protocol.Backend`.

Each method delegates to the module that does the work (``cluster``, ``running``,
``images``), imported when called: they need the Docker SDK, and this module is imported
whenever the backend registry is read.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Sequence

from faultline.backends.protocol import ClusterInfo, ImageStatus
from faultline.dbs.protocol import DB
from faultline.faults import record as records
from faultline.faults.heal import heal_run


class ComposeBackend:
    """Clusters of containers on this machine's Docker, made with docker compose."""

    name = "compose"

    def create(self, db: DB, nodes: int, *, name: str | None = None, image: str | None = None,
               env: Mapping[str, str] | None = None):
        from faultline.backends.compose.cluster import ComposeCluster

        return ComposeCluster(db, nodes, name=name, image=image, env=env)

    def attach(self, name: str):
        from faultline.backends.compose.running import attach

        return attach(name)

    def list(self, db: str | None = None) -> dict[str, ClusterInfo]:
        from faultline.backends.compose.running import running_clusters

        return running_clusters(db=db)

    def heal(self, run_dir: str | os.PathLike) -> dict[str, Any]:
        data = records.read(run_dir)
        name = data.get("cluster", {}).get("name")
        if name and name not in self.list():
            records.mark_healed(run_dir, data)
            return {"cluster": name, "gone": True}
        return heal_run(run_dir, self.attach)

    def build_images(self, names: Sequence[str] | None, *, force: bool,
                     say: Callable[[str], None]) -> None:
        from faultline.backends.compose import images

        images.build_missing(names, force=force, say=say)

    def image_status(self) -> list[ImageStatus]:
        from faultline.backends.compose import images

        return images.statuses()
