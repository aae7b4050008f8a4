"""One docker compose cluster of any registered db, one container per node.

``ComposeCluster`` implements :class:`~faultline.cluster.protocol.Cluster` plus
:class:`Killable`, :class:`Pausable` and :class:`Partitionable`. Everything that depends
on the database (image, client port, server launcher, health and leader probes) comes from
its descriptor (:class:`faultline.dbs.protocol.DB`). The compose CLI (v1 or v2, detected)
brings the cluster up from a generated compose file; container-level work (exec, inspect,
logs, removal) goes through the Docker SDK. Inside every container a supervisor (PID 1)
runs the server, so ``kill``/``pause`` hit the server process only and the container, its
network namespace, iptables rules and ``/run/faultline`` files stay (see docs/cluster.md).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import shutil
import subprocess
import tarfile
import tempfile
import time
from typing import Any, Mapping, Sequence

import docker
import docker.errors

from faultline.backends.compose import file as compose_file, images
from faultline.backends.compose.cli import ComposeCLI, installed
from faultline.backends.compose.daemon import docker_client
from faultline.cluster.nodes import exec_read
from faultline.cluster.partition import IptablesPartitioner
from faultline.cluster.protocol import Grudge, node_names
from faultline.core.errors import BadInputError, ClusterError, PreflightError
from faultline.dbs import DBS, DB, Image, image as default_image

log = logging.getLogger(__name__)

PROJECT_LABEL = "com.docker.compose.project"
PROJECT_PREFIX = "faultline-"
UP_TIMEOUT_S = 60.0
_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Copied out of each node by collect_logs (files land flat in dest/<node>/).
COLLECTED_DIRS = (compose_file.LOG_DIR, compose_file.CONF_DIR)


def project_name(db: str, name: str | None = None) -> str:
    """A compose project name: ``name`` (prefixed ``faultline-`` if it is not) or a fresh
    ``faultline-<db>-<random>``, unique per run so two runs never share containers."""
    if name is None:
        return f"{PROJECT_PREFIX}{db}-{secrets.token_hex(3)}"
    if not name.startswith(PROJECT_PREFIX):
        name = PROJECT_PREFIX + name
    if not _PROJECT_NAME.match(name):
        raise BadInputError(
            f"cluster name {name!r}: use lowercase letters, digits, '-' and '_' only"
        )
    return name


def default_workdir() -> str:
    return os.path.join(tempfile.gettempdir(), "faultline-clusters")


class ComposeCluster:
    """One cluster of ``nodes`` containers of ``db`` (a registered db's name, e.g. ``etcd``,
    or its descriptor).

    ``name``: compose project name (default ``faultline-<db>-<random>``). ``image``:
    the image to run (default the db's, e.g. ``faultline/etcd:3.4``; any image with the
    same entrypoint contract works, e.g. ``faultline/etcd-clock:3.4``). ``workdir``: where
    the compose file is written (``<workdir>/<name>/compose.json``). ``env``: extra
    environment for every node (image knobs, see docs/cluster.md).
    """

    backend = "compose"
    """The backend that made the cluster (recorded in ``faults.json``, for ``cluster heal``)."""

    def __init__(self, db: str | DB, nodes: int = 3, *, name: str | None = None,
                 image: str | None = None, workdir: str | None = None,
                 env: Mapping[str, str] | None = None, up_timeout: float = UP_TIMEOUT_S):
        self.database: DB = DBS.get(db) if isinstance(db, str) else db
        self.db = self.database.name
        self.nodes: list[str] = node_names(nodes)
        self.name = project_name(self.db, name)
        self.image = image or default_image(self.database).tag
        self.workdir = workdir or default_workdir()
        self.env = dict(env or {})
        self.up_timeout = up_timeout
        self._docker: docker.DockerClient | None = None
        self._ips: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"ComposeCluster({self.db!r}, {len(self.nodes)}, name={self.name!r})"

    def __enter__(self) -> "ComposeCluster":
        """``with ComposeCluster(...) as c:`` ups the cluster and always downs it."""
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # ---- lifecycle ----------------------------------------------------------------

    @property
    def compose_path(self) -> str:
        return os.path.join(self.workdir, self.name, "compose.json")

    @property
    def client(self) -> docker.DockerClient:
        if self._docker is None:
            self._docker = docker_client()
        return self._docker

    def preflight(self) -> ComposeCLI:
        """Docker reachable, the image present, a compose CLI installed; else PreflightError."""
        known = images.by_tag(self.image)
        try:
            self.client.images.get(self.image)
        except docker.errors.ImageNotFound:
            build = "faultline images build" + (f" --db {known.name}" if known else "")
            raise PreflightError(f"image {self.image} is missing: run `{build}`") from None
        if known is not None:
            self._warn_if_stale(known)
        return installed()

    def _warn_if_stale(self, known: Image) -> None:
        try:
            state = images.image_state(self.client, known, images.compose_dir()).state
        except PreflightError:      # no compose/ sources here (installed package): cannot tell
            return
        if state == "stale":
            log.warning("image %s was built from older compose/ files: "
                        "run `faultline images build`", self.image)

    def up(self) -> None:
        cli = self.preflight()
        if self._project_containers():
            raise PreflightError(f"cluster {self.name} already exists: choose another --name")
        os.makedirs(os.path.dirname(self.compose_path), exist_ok=True)
        with open(self.compose_path, "w", encoding="utf-8") as fh:
            fh.write(compose_file.dumps(
                compose_file.render(self.database, len(self.nodes), self.name, self.image,
                                    self.env)))
        try:
            self._compose_up(cli)
            self._read_ips()
            self._wait_ready()
        except BaseException:
            self.down()
            raise

    def _compose_up(self, cli: ComposeCLI) -> None:
        argv = cli.command(self.name, self.compose_path, "up", "-d", "--no-build")
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=120)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{' '.join(argv[:2])} up hung for 120 s ({self.name})") from None
        if proc.returncode != 0:
            tail = " | ".join(proc.stdout.strip().splitlines()[-3:])
            raise ClusterError(f"{' '.join(argv[:2])} up failed for {self.name}: {tail}")

    def _read_ips(self) -> None:
        for node in self.nodes:
            self._read_ip(node)

    def _read_ip(self, node: str) -> str:
        networks = self._container(node).attrs["NetworkSettings"]["Networks"]
        ips = [n["IPAddress"] for n in networks.values() if n.get("IPAddress")]
        if not ips:
            raise ClusterError(f"{self.name}: node {node} has no IP address")
        self._ips[node] = ips[0]
        return ips[0]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.up_timeout
        while True:
            serving = {node: self.healthy(node) for node in self.nodes}
            leader = self.leader() if all(serving.values()) else None
            if leader is not None:
                log.info("%s ready, leader %s", self.name, leader)
                return
            if time.monotonic() >= deadline:
                raise self._not_ready_error(serving)
            time.sleep(0.2)

    def _not_ready_error(self, serving: dict[str, bool]) -> ClusterError:
        down_nodes = [n for n, ok in serving.items() if not ok]
        state = f"not serving: {', '.join(down_nodes)}" if down_nodes else "no leader"
        tails = {node: self._log_tail(node) for node in self.nodes}
        # Beside the project directory, which down() removes.
        saved = os.path.join(self.workdir, f"{self.name}-failed-up")
        try:
            self.collect_logs(saved)
        except (ClusterError, OSError) as e:
            saved = f"(not saved: {e})"
        example = (down_nodes or self.nodes)[0]
        error = ClusterError(
            f"{self.db} cluster {self.name} not healthy after {self.up_timeout:.0f} s "
            f"({state}); node logs in {saved}; {example}'s last line: "
            f"{_last_line(tails[example])[:240]}")
        error.log_tails = tails  # type: ignore[attr-defined]
        return error

    def _log_tail(self, node: str, lines: int = 20) -> str:
        try:
            _, out = self.exec(node, ["tail", "-n", str(lines), f"{compose_file.LOG_DIR}/server.log"],
                               check=False)
        except ClusterError as e:
            return str(e)
        return out

    def down(self) -> None:
        """Remove the project's containers (with their anonymous volumes), networks and
        volumes by compose label, through the Docker SDK: works for both compose versions,
        without the compose file, and for half-created projects. Idempotent."""
        label = f"{PROJECT_LABEL}={self.name}"
        client = self.client
        for container in self._project_containers():
            _ignore_gone(container.remove, force=True, v=True)
        for network in client.networks.list(filters={"label": label}):
            _ignore_gone(network.remove)
        for volume in client.volumes.list(filters={"label": label}):
            _ignore_gone(volume.remove, force=True)
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.compose_path)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(self.compose_path))
        self._ips.clear()

    def _project_containers(self) -> list[Any]:
        return self.client.containers.list(
            all=True, filters={"label": f"{PROJECT_LABEL}={self.name}"})

    # ---- per-node facts ---------------------------------------------------------------

    def _check_node(self, node: str) -> None:
        if node not in self.nodes:
            raise BadInputError(f"unknown node {node!r}: this cluster has {', '.join(self.nodes)}")

    def container(self, node: str) -> str:
        """The node's container name (``<project>-<node>``)."""
        self._check_node(node)
        return compose_file.container_name(self.name, node)

    def _container(self, node: str) -> Any:
        try:
            return self.client.containers.get(self.container(node))
        except docker.errors.NotFound:
            raise ClusterError(f"{self.name}: container of {node} does not exist") from None

    def peer_ip(self, node: str) -> str:
        """The node's IP on the cluster network (fixed for the container's lifetime)."""
        self._check_node(node)
        return self._ips.get(node) or self._read_ip(node)

    def address(self, node: str) -> tuple[str, int]:
        return self.peer_ip(node), self.database.client_port

    def exec(self, node: str, argv: Sequence[str], *, check: bool = True) -> tuple[int, str]:
        try:
            code, output = self._container(node).exec_run(list(argv), user="root")
        except docker.errors.APIError as e:
            raise ClusterError(f"{node}: cannot exec {' '.join(argv)}: {e.explanation or e}") from None
        text = output.decode("utf-8", "replace") if output else ""
        if check and code != 0:
            tail = " | ".join(text.strip().splitlines()[-3:])
            raise ClusterError(f"{node}: `{' '.join(argv)}` exited {code}: {tail}")
        return code, text

    # ---- health and leadership -----------------------------------------------------------

    def healthy(self, node: str) -> bool:
        """Whether the node serves now; False also when its container is gone."""
        try:
            host, port = self.address(node)
        except ClusterError:
            return False
        return self.database.healthy(host, port)

    def leader(self) -> str | None:
        statuses = {}
        for node in self.nodes:
            try:
                statuses[node] = self.database.status(*self.address(node))
            except ClusterError:        # container gone: no opinion
                statuses[node] = None
        return self.database.leader(statuses)

    # ---- capabilities: Killable, Pausable ----------------------------------------------

    def kill(self, node: str) -> None:
        """SIGKILL the server process; the container and data stay. Killing a dead node is a no-op."""
        self.exec(node, ["faultline-ctl", "kill"])

    def start(self, node: str) -> None:
        """Start the server again on its data dir; starting a running node is a no-op.
        Returns once the process runs, not once it serves (poll ``healthy``)."""
        self.exec(node, ["faultline-ctl", "start"])

    def pause(self, node: str) -> None:
        """SIGSTOP the server process (not ``docker pause``: the container stays usable
        for exec, so partitions and clocks can still be changed while it is paused)."""
        self.exec(node, ["faultline-ctl", "pause"])

    def resume(self, node: str) -> None:
        """SIGCONT the server process."""
        self.exec(node, ["faultline-ctl", "resume"])

    # ---- capability: Partitionable (iptables inside the nodes, see cluster/partition.py) --

    def partition(self, grudge: Grudge) -> None:
        """Each node drops packets from the peers ``grudge`` names; harness traffic passes."""
        IptablesPartitioner(self).partition(grudge)

    def heal(self) -> None:
        """Remove exactly the partition rules (our iptables chain) from every node."""
        IptablesPartitioner(self).heal()

    def server_state(self, node: str) -> str:
        """``running`` | ``paused`` | ``stopped``, as the node's supervisor sees it."""
        # Re-read an empty answer: a docker exec sometimes loses its output (docker-py#2042).
        code, out = exec_read(self, node, ["faultline-ctl", "status"])
        if code != 0:
            raise ClusterError(f"{self.name}: faultline-ctl status on {node} exited {code}: "
                               f"{out.strip()[-200:]}")
        return out.strip()

    # ---- logs ---------------------------------------------------------------------------

    def collect_logs(self, dest_dir: str) -> None:
        """Copy each node's logs (/var/log/faultline) and generated config (/etc/faultline)
        into ``dest_dir/<node>/``. Works whether the server runs, is paused or killed."""
        for node in self.nodes:
            target = os.path.join(dest_dir, node)
            os.makedirs(target, exist_ok=True)
            container = self._container(node)
            for path in COLLECTED_DIRS:
                try:
                    stream, _ = container.get_archive(path)
                except docker.errors.NotFound:
                    continue
                _extract_flat(b"".join(stream), target)


def _extract_flat(tar_bytes: bytes, target: str) -> None:
    """Write the regular files of a ``docker cp`` archive into ``target`` (no subdirs,
    no links: the archive comes from a container we do not trust to name paths)."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            with open(os.path.join(target, os.path.basename(member.name)), "wb") as out:
                shutil.copyfileobj(source, out)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(empty log)"


def _ignore_gone(remove: Any, **kwargs: Any) -> None:
    try:
        remove(**kwargs)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as e:
        if e.status_code != 409:  # 409: removal already in progress
            raise ClusterError(f"cleanup failed: {e.explanation or e}") from None
