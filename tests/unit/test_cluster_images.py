"""Image specs, source hashes and log extraction (no Docker)."""

import io
import tarfile
from pathlib import Path

import pytest

from faultline.backends.compose import images
from faultline.backends.compose.cluster import _extract_flat
from faultline.core.errors import BadInputError


def test_source_hash_changes_with_any_source_file(tmp_path: Path):
    for sub in ("common", "etcd", "zookeeper"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x.sh").write_text(sub)
    spec = images.table()["etcd"]
    before = images.source_hash(spec, tmp_path)
    (tmp_path / "zookeeper" / "x.sh").write_text("changed")   # not an etcd source
    assert images.source_hash(spec, tmp_path) == before
    (tmp_path / "common" / "x.sh").write_text("changed")
    assert images.source_hash(spec, tmp_path) != before


def test_real_compose_dir_has_every_dockerfile():
    root = images.compose_dir()
    for spec in images.table().values():
        assert (root / spec.dockerfile).is_file()
        assert all((root / sub).is_dir() for sub in spec.sources)


def test_table_lists_every_default_image_before_the_clock_builds():
    assert list(images.table()) == ["etcd", "zookeeper", "etcd-clock"]
    assert images.by_tag("faultline/etcd-clock:3.4").name == "etcd-clock"
    assert images.by_tag("someone/else:1") is None


def test_select():
    assert [s.name for s in images.select(None)] == list(images.table())
    assert [s.name for s in images.select(["zookeeper"])] == ["zookeeper"]
    with pytest.raises(BadInputError):
        images.select(["mysql"])


def test_extract_flat_keeps_regular_files_only(tmp_path: Path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in [("faultline/server.log", b"log"), ("faultline/../../evil", b"x")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("faultline/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    _extract_flat(buf.getvalue(), str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil", "server.log"]
    assert (tmp_path / "server.log").read_bytes() == b"log"


class FakeImages:
    def __init__(self, present):
        self.present = present

    def get(self, tag):
        import docker.errors
        if tag not in self.present:
            raise docker.errors.ImageNotFound(tag)
        return object()


class FakeClient:
    def __init__(self, *present):
        self.images = FakeImages(set(present))


def test_missing_base_without_debootstrap_says_how_to_install_it(monkeypatch, tmp_path):
    from faultline.core.errors import PreflightError
    monkeypatch.setattr(images.shutil, "which", lambda name: None)
    with pytest.raises(PreflightError, match="apt-get install debootstrap"):
        images.ensure_base(FakeClient(), tmp_path, print)


def test_present_base_is_not_rebuilt(monkeypatch, tmp_path):
    monkeypatch.setattr(images, "_run_streaming", lambda *a: pytest.fail("must not build"))
    assert images.ensure_base(FakeClient(images.BASE_IMAGE), tmp_path, print) is None
