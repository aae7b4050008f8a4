"""The connection to the Docker daemon every compose module uses."""

from __future__ import annotations

import docker
import docker.errors

from faultline.core.errors import PreflightError


def docker_client() -> docker.DockerClient:
    """A connected Docker client, or PreflightError when the daemon is unreachable."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as e:
        raise PreflightError(f"Docker is not running or not reachable: {e}") from None
    return client
