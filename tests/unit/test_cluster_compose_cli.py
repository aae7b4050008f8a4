"""Detecting docker compose v2 vs docker-compose v1 (fake runners, no Docker)."""

import pytest

from faultline.backends.compose.cli import ComposeCLI, detect, parse_version
from faultline.core.errors import PreflightError


def fake_runner(replies):
    """replies: argv prefix (tuple) -> (code, output) or an exception to raise."""
    calls = []

    def run(argv):
        calls.append(tuple(argv))
        reply = replies.get(tuple(argv[:-1]), FileNotFoundError("not installed"))
        if isinstance(reply, Exception):
            raise reply
        return reply

    run.calls = calls
    return run


@pytest.mark.parametrize("text,expected", [
    ("docker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3", (1, 29, 2)),
    ("Docker Compose version v2.24.5", (2, 24, 5)),
    ("Docker Compose version 2.27.0+ds1-0ubuntu1", (2, 27, 0)),
    ("docker: 'compose' is not a docker command.", None),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_v2_plugin_preferred_when_both_exist():
    run = fake_runner({
        ("docker", "compose"): (0, "Docker Compose version v2.24.5"),
        ("docker-compose",): (0, "docker-compose version 1.29.2, build unknown"),
    })
    cli = detect(run)
    assert cli.argv == ("docker", "compose") and cli.major == 2


def test_v1_when_docker_has_no_compose_plugin():
    run = fake_runner({
        ("docker", "compose"): (1, "docker: unknown command: docker compose"),
        ("docker-compose",): (0, "docker-compose version 1.29.2, build unknown"),
    })
    cli = detect(run)
    assert cli == ComposeCLI(("docker-compose",), (1, 29, 2))
    assert cli.command("faultline-a", "/tmp/c.json", "up", "-d") == [
        "docker-compose", "-p", "faultline-a", "-f", "/tmp/c.json", "up", "-d"]


def test_standalone_v2_binary_named_docker_compose():
    run = fake_runner({("docker-compose",): (0, "Docker Compose version v2.20.2")})
    assert detect(run).version == (2, 20, 2)


def test_none_installed_is_a_preflight_error_naming_what_was_tried():
    with pytest.raises(PreflightError, match="docker compose.*docker-compose"):
        detect(fake_runner({}))
