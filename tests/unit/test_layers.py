"""The layering contract: faultline's layers only import downwards (pyproject.toml,
``[tool.importlinter]``, checked by import-linter), and every part of the package is in
a layer, so a new package cannot slip past the contract unconstrained."""

import os
import pkgutil
import subprocess
import sys
import tomllib

import faultline

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def layers():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        config = tomllib.load(fh)["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return [[m.strip() for m in layer.replace(":", "|").split("|")] for layer in contract["layers"]]


def test_lower_layers_never_import_higher_ones():
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    proc = subprocess.run([lint if os.path.exists(lint) else "lint-imports", "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout


def test_every_part_of_the_package_is_in_a_layer():
    named = {m for layer in layers() for m in layer}
    parts = {f"faultline.{m.name}" for m in pkgutil.iter_modules(faultline.__path__)}
    assert parts == named, f"not in a layer: {sorted(parts - named)}; gone: {sorted(named - parts)}"


def test_the_layers_run_from_the_cli_down_to_the_core():
    order = layers()
    assert order[0] == ["faultline.cli", "faultline.fakes", "faultline.pytest"]
    assert order[-1] == ["faultline.core"]
    assert ["faultline.runner"] in order
