"""Reads that always print something re-run when a docker exec loses its output
(docker-py#2042), so a preflight never takes a lost answer for a broken node."""

from faultline.backends.compose.cluster import ComposeCluster
from faultline.cluster.nodes import probe_problems
from faultline.cluster.partition import PROBE_SCRIPT


class LossyExec:
    """Answers "" to the first ``lost`` execs on each node, then ``answer``."""

    def __init__(self, answer, lost=2):
        self.answer, self.lost, self.calls = answer, lost, {}
        self.nodes = ["n1", "n2", "n3"]

    def exec(self, node, argv, *, check=True):
        self.calls[node] = self.calls.get(node, 0) + 1
        return 0, "" if self.calls[node] <= self.lost else self.answer


def test_server_state_rereads_a_lost_answer():
    cluster = ComposeCluster("etcd", 3)
    lossy = LossyExec("running\n")
    cluster.exec = lossy.exec
    assert cluster.server_state("n2") == "running"
    assert lossy.calls["n2"] == 3


def test_preflight_probes_reread_a_lost_answer():
    assert probe_problems(LossyExec("yes\n"), PROBE_SCRIPT) == {}


def test_preflight_probes_still_report_a_node_that_never_answers():
    problems = probe_problems(LossyExec("yes\n", lost=99), PROBE_SCRIPT)
    assert set(problems) == {"n1", "n2", "n3"}
