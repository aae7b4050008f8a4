"""Properties of every grudge shape (pure, no Docker)."""

import random

import pytest
from hypothesis import given, settings, strategies as st

from faultline.cluster.partition import HEAL_SCRIPT, partition_script
from faultline.faults import grudges as g

cluster_sizes = st.integers(min_value=3, max_value=9)
seeds = st.integers(min_value=0, max_value=2**32)


def nodes_of(n):
    return [f"n{i}" for i in range(1, n + 1)]


def hears(grudge, a, b):
    """Whether a hears b under ``grudge``."""
    return b not in grudge.get(a, frozenset())


def test_complete_cuts_every_cross_link_and_nothing_else():
    grudge = g.complete([["n1", "n2"], ["n3"], ["n4", "n5"]])
    assert grudge["n1"] == {"n3", "n4", "n5"}
    assert grudge["n3"] == {"n1", "n2", "n4", "n5"}
    assert hears(grudge, "n4", "n5") and hears(grudge, "n1", "n2")


def test_complete_rejects_overlapping_components():
    with pytest.raises(ValueError, match="overlap"):
        g.complete([["n1", "n2"], ["n2", "n3"]])


def test_isolate_cuts_the_node_both_ways_and_keeps_the_rest():
    grudge = g.isolate(nodes_of(5), "n3")
    assert grudge["n3"] == {"n1", "n2", "n4", "n5"}
    for other in ["n1", "n2", "n4", "n5"]:
        assert grudge[other] == {"n3"}
    with pytest.raises(ValueError):
        g.isolate(nodes_of(3), "n9")


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(cluster_sizes)
def test_fixed_halves_are_symmetric_and_leave_a_majority_side(n):
    nodes = nodes_of(n)
    grudge = g.halves(nodes)
    small, large = g.bisect(nodes)
    assert len(small) == n // 2 and len(large) == n - n // 2
    for a in nodes:
        for b in nodes:
            same_side = (a in small) == (b in small)
            assert hears(grudge, a, b) == same_side
            assert hears(grudge, a, b) == hears(grudge, b, a)


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(cluster_sizes, seeds)
def test_random_halves_are_reproducible_from_the_seed(n, seed):
    nodes = nodes_of(n)
    assert g.halves(nodes, random.Random(seed)) == g.halves(nodes, random.Random(seed))
    views = set(g.views(nodes, g.halves(nodes, random.Random(seed))).values())
    assert len(views) == 2 and sorted(map(len, views)) == [n // 2, n - n // 2]


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(cluster_sizes, seeds)
def test_majorities_ring_every_node_sees_a_distinct_majority(n, seed):
    nodes = nodes_of(n)
    grudge = g.majorities_ring(nodes, random.Random(seed))
    views = g.views(nodes, grudge)
    for node, view in views.items():
        assert node in view
        assert len(view) == g.majority(n)
    assert len(set(views.values())) == n  # pairwise distinct


@pytest.mark.parametrize("n", [5, 9])
def test_majorities_ring_is_symmetric_with_an_odd_window(n):
    nodes = nodes_of(n)
    grudge = g.majorities_ring(nodes, random.Random(7))
    for a in nodes:
        for b in nodes:
            assert hears(grudge, a, b) == hears(grudge, b, a)


def test_majorities_ring_needs_three_nodes():
    with pytest.raises(ValueError):
        g.majorities_ring(["n1", "n2"])


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(cluster_sizes, seeds)
def test_bridge_one_node_hears_both_halves_which_do_not_hear_each_other(n, seed):
    nodes = nodes_of(n)
    grudge = g.bridge(nodes, random.Random(seed))
    bridges = [node for node in nodes if node not in grudge]
    assert len(bridges) == 1
    link = bridges[0]
    rest = [x for x in nodes if x != link]
    # Everyone hears the bridge, and the bridge hears everyone.
    assert all(hears(grudge, x, link) for x in nodes)
    # Without the bridge, the others form exactly two sides that are cut apart.
    views = {frozenset(g.views(nodes, grudge)[x] - {link}) for x in rest}
    assert len(views) == 2
    side_a, side_b = views
    assert not side_a & side_b and side_a | side_b == set(rest)
    # The bridge belongs to the larger half: its side plus itself is at least as big.
    assert max(len(side_a), len(side_b)) + 1 >= n - n // 2


def test_make_names_every_shape_and_rejects_others():
    nodes = nodes_of(3)
    rng = random.Random(1)
    for shape in g.SHAPES:
        grudge = g.make(shape, nodes, rng, leader="n2")
        assert grudge, shape
    assert g.make("isolate-leader", nodes, rng, leader="n2")["n2"] == {"n1", "n3"}
    with pytest.raises(ValueError, match="no leader"):
        g.make("isolate-leader", nodes, rng, leader=None)
    with pytest.raises(ValueError, match="unknown partition"):
        g.make("ring", nodes, rng)


def test_json_round_trip():
    grudge = g.bridge(nodes_of(5))
    data = g.to_json(grudge)
    assert all(isinstance(v, list) for v in data.values())
    assert g.from_json(data) == grudge


def test_partition_script_only_drops_the_named_peers_in_our_chain():
    script = partition_script(["10.0.0.3", "10.0.0.2"])
    drops = [line for line in script.splitlines() if "-j DROP" in line]
    assert drops == [
        "iptables -w -A FAULTLINE -s 10.0.0.2 -j DROP",
        "iptables -w -A FAULTLINE -s 10.0.0.3 -j DROP",
    ]
    assert all("FAULTLINE" in line for line in script.splitlines()[1:])
    assert "-X FAULTLINE" in HEAL_SCRIPT and "-D INPUT -j FAULTLINE" in HEAL_SCRIPT
