"""The runs index page: every run, newest first, linking to its report, with its verdict."""

from faultline.core.store import RunDir
from faultline.render import write_index


def test_index_lists_each_run_with_its_verdict_and_link(tmp_path):
    done = RunDir.create(str(tmp_path), "etcd-register-none", now=0)
    done.write_test({})
    done.write_results({"valid": True})
    done.write_report("<html></html>")
    running = RunDir.create(str(tmp_path), "zk-<b>", now=100)
    running.write_test({})
    write_index(str(tmp_path))
    index = (tmp_path / "index.html").read_text()
    assert "etcd-register-none/19700101T000000/report.html" in index and "True" in index
    assert "zk-&lt;b&gt;/19700101T000140/\"" in index and "running or crashed" in index
    assert index.index("zk-&lt;b&gt;") < index.index("etcd-register-none")  # newest first
