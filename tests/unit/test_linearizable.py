"""The linearizability search: properties on small random histories, a brute-force
permutation checker to compare with, both engines, budgets, counterexamples, keys."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultline.checkers import native
from faultline.checkers.linearizable import Linearizable, check_linearizable
from faultline.checkers.models import CAS_MISMATCH, get_model
from faultline.checkers.prepare import entries_for, partition
from faultline.core.errors import BadInputError
from faultline.core.history import History
from faultline.core.op import FAIL, INFO, INVOKE, OK, Op

ENGINES = [False] + ([True] if native.AVAILABLE else [])


# -- building histories --------------------------------------------------------------
def build(ops, order):
    """ops: (f, invoke value, outcome type, completion value, error); each op has its own
    process. ``order`` is a permutation of 2*len(ops) event slots: op i occupies slots 2i
    and 2i+1, invoking at the earlier one and completing at the later one."""
    pos = {slot: rank for rank, slot in enumerate(order)}
    events = []
    for i, (f, inv_value, outcome, value, error) in enumerate(ops):
        a, b = sorted((pos[2 * i], pos[2 * i + 1]))
        events.append((a, Op(type=INVOKE, f=f, value=inv_value, process=i)))
        if outcome is not None:  # None: never completed
            events.append((b, Op(type=outcome, f=f, value=value, process=i, error=error)))
    return History(op for _, op in sorted(events, key=lambda e: e[0]))


def brute_force(history, model):
    """Every order of every admissible subset of ops, straight from the definition."""
    for key, pairs in partition(model, history).items():
        entries = entries_for(model, pairs)
        required = [e for e in entries if e.required]
        optional = [e for e in entries if not e.required]
        found = False
        for r in range(len(optional) + 1):
            for extra in itertools.combinations(optional, r):
                for perm in itertools.permutations(required + list(extra)):
                    if _legal(perm, model):
                        found = True
                        break
                if found:
                    break
            if found:
                break
        if not found:
            return False
    return True


def _legal(perm, model):
    for a, b in itertools.combinations(range(len(perm)), 2):
        if perm[b].ret < perm[a].call:  # b completed before a was invoked
            return False
    state = model.init()
    for e in perm:
        ok, state = model.step(state, e.op)
        if not ok:
            return False
    return True


VALUES = st.sampled_from([None, 0, 1, 2])


@st.composite
def register_ops(draw, max_ops=6, values=VALUES):
    n = draw(st.integers(1, max_ops))
    ops = []
    for _ in range(n):
        f = draw(st.sampled_from(["read", "write", "cas"]))
        outcome = draw(st.sampled_from([OK, OK, OK, INFO, FAIL, None]))
        if f == "read":
            ops.append((f, None, outcome, draw(values), None))
        elif f == "write":
            v = draw(values)
            ops.append((f, v, outcome, v, None))
        else:
            cas = [draw(values), draw(values)]
            error = CAS_MISMATCH if outcome == FAIL and draw(st.booleans()) else None
            ops.append((f, cas, outcome, cas, error))
    order = draw(st.permutations(range(2 * n)))
    return ops, order


@st.composite
def unique_register_ops(draw, max_ops=7):
    """Writes of distinct values (the write-order pruning applies), reads of any."""
    n = draw(st.integers(1, max_ops))
    ops = []
    for i in range(n):
        f = draw(st.sampled_from(["read", "write", "cas"]))
        outcome = draw(st.sampled_from([OK, OK, OK, INFO, None]))
        if f == "read":
            ops.append((f, None, outcome, draw(st.sampled_from([None] + list(range(10, 10 + n)))),
                        None))
        elif f == "write":
            ops.append((f, 10 + i, outcome, 10 + i, None))
        else:
            cas = [draw(st.sampled_from([None] + list(range(10, 10 + n)))), 10 + i]
            ops.append((f, cas, outcome, cas, None))
    order = draw(st.permutations(range(2 * n)))
    return ops, order


@st.composite
def kv_ops(draw, max_ops=6):
    n = draw(st.integers(1, max_ops))
    ops = []
    for i in range(n):
        f = draw(st.sampled_from(["get", "put", "append"]))
        outcome = draw(st.sampled_from([OK, OK, INFO, None]))
        if f == "get":
            ops.append((f, None, outcome, draw(st.sampled_from(["", "a", "b", "ab", "ba",
                                                                 "abc", "c"])), None))
        else:
            v = draw(st.sampled_from(["a", "b", "c"])) if f == "append" else \
                draw(st.sampled_from(["a", "ab"]))
            ops.append((f, v, outcome, v, None))
    order = draw(st.permutations(range(2 * n)))
    return ops, order


@st.composite
def kv_spelled_ops(draw, max_ops=7):
    """Puts and appends whose values spell unambiguously (single letters, some repeated),
    so the version hints of faultline.checkers.kv_versions apply, and gets of plausible strings."""
    n = draw(st.integers(2, max_ops))
    ops = []
    for _ in range(n):
        f = draw(st.sampled_from(["get", "get", "put", "append", "append"]))
        outcome = draw(st.sampled_from([OK, OK, OK, INFO, None]))
        if f == "get":
            ops.append((f, None, outcome, draw(st.text("pqab", max_size=4)), None))
        else:
            v = draw(st.sampled_from(["p", "q"] if f == "put" else ["a", "b", "a"]))
            ops.append((f, v, outcome, v, None))
    order = draw(st.permutations(range(2 * n)))
    return ops, order


# -- properties ------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(case=register_ops(), initial=st.sampled_from([None, 0]))
def test_search_agrees_with_brute_force_cas_register(engine, case, initial):
    model = get_model("cas-register", initial=initial)
    history = build(*case)
    assert check_linearizable(history, model, native=engine).valid == brute_force(history, model)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(case=unique_register_ops())
def test_write_order_pruning_agrees_with_brute_force(engine, case):
    model = get_model("cas-register", initial=None)
    history = build(*case)
    assert check_linearizable(history, model, native=engine).valid == brute_force(history, model)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(case=kv_ops())
def test_kv_search_agrees_with_brute_force(engine, case):
    model = get_model("kv")
    history = build(*case)
    assert check_linearizable(history, model, native=engine).valid == brute_force(history, model)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=300, deadline=None)
@given(case=kv_spelled_ops())
def test_kv_version_hints_agree_with_brute_force(engine, case):
    model = get_model("kv")
    history = build(*case)
    assert check_linearizable(history, model, native=engine).valid == brute_force(history, model)


@settings(max_examples=100, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(["read", "write", "cas"]), VALUES, VALUES),
                      min_size=1, max_size=30))
def test_sequential_runs_of_the_model_are_linearizable(steps):
    model = get_model("cas-register", initial=None)
    state, ops = model.init(), []
    for i, (f, a, b) in enumerate(steps):
        if f == "read":
            ops += [Op(INVOKE, "read", None, i), Op(OK, "read", state, i)]
        elif f == "write":
            ops += [Op(INVOKE, "write", a, i), Op(OK, "write", a, i)]
            state = a
        elif state == a:
            ops += [Op(INVOKE, "cas", [a, b], i), Op(OK, "cas", [a, b], i)]
            state = b
        else:
            ops += [Op(INVOKE, "cas", [a, b], i), Op(FAIL, "cas", [a, b], i, error=CAS_MISMATCH)]
    assert check_linearizable(History(ops), model).valid is True


@settings(max_examples=100, deadline=None)
@given(case=register_ops())
def test_a_read_of_a_value_never_written_is_not_linearizable(case):
    ops, order = case
    ops = ops + [("read", None, OK, 99, None)]
    n = len(ops)
    order = list(order) + [2 * n - 2, 2 * n - 1]
    assert check_linearizable(build(ops, order), get_model("cas-register")).valid is False


# -- semantics, results, budgets -------------------------------------------------------
def seq(*ops):
    return History(ops)


def test_info_stays_open_until_the_end_and_fail_is_dropped():
    model = get_model("register", initial=0)
    info_write = seq(Op(INVOKE, "write", 1, 0), Op(INFO, "write", 1, 0),
                     Op(INVOKE, "read", None, 1), Op(OK, "read", 0, 1),
                     Op(INVOKE, "read", None, 1), Op(OK, "read", 1, 1))
    assert check_linearizable(info_write, model).valid is True
    failed_write = seq(Op(INVOKE, "write", 1, 0), Op(FAIL, "write", 1, 0),
                       Op(INVOKE, "read", None, 1), Op(OK, "read", 1, 1))
    assert check_linearizable(failed_write, model).valid is False


def test_counterexample_names_the_op_prefix_and_concurrent_ops():
    history = seq(Op(INVOKE, "write", 1, 0), Op(OK, "write", 1, 0),
                  Op(INVOKE, "write", 3, 2),
                  Op(INVOKE, "read", None, 1), Op(OK, "read", 2, 1))
    result = check_linearizable(history, get_model("cas-register"))
    assert result.valid is False
    ce = result.data["counterexample"]
    assert ce["op"]["f"] == "read" and ce["op"]["value"] == 2
    assert [p["value"] for p in ce["prefix"]] == [1]
    assert [p["state"] for p in ce["prefix"]] == [1]  # the register's value after each op
    assert [c["value"] for c in ce["concurrent"]] == [3]
    assert result.data["time_s"] >= 0
    assert result.data["kind"] == "linearizable"  # what the report shows it by


def test_only_the_end_of_a_long_prefix_carries_states():
    from faultline.checkers.counterexample import STATES_KEPT

    n = STATES_KEPT + 10
    ops = [o for i in range(n) for o in (Op(INVOKE, "write", i, 0), Op(OK, "write", i, 0))]
    ops += [Op(INVOKE, "read", None, 1), Op(OK, "read", 3, 1)]  # long overwritten
    ce = check_linearizable(seq(*ops), get_model("register"), prune=False).data[
        "counterexample"]
    assert len(ce["prefix"]) == n
    assert ["state" in p for p in ce["prefix"]] == [False] * 10 + [True] * STATES_KEPT
    assert ce["prefix"][-1]["state"] == n - 1 == ce["state"]


def hard_history(values=(0, 1), n=13):
    """n concurrent writes of repeating values and a read nobody can satisfy: the search
    must exhaust every subset before it can say "illegal"."""
    ops = [Op(INVOKE, "write", values[i % len(values)], i) for i in range(n)]
    ops += [Op(INVOKE, "read", None, n), Op(OK, "read", 7, n)]
    ops += [Op(OK, "write", values[i % len(values)], i) for i in range(n)]
    return History(ops)


@pytest.mark.parametrize("engine", ENGINES)
def test_budgets_give_unknown_with_the_reason_never_valid(engine):
    model = get_model("register", initial=0)
    slow = check_linearizable(hard_history(), model, time_limit=0.0, native=engine)
    assert slow.valid == "unknown" and "time limit" in slow.data["reason"]
    explored = f"{slow.data['configurations']:,} configurations over 14 ops"
    assert slow.data["reason"].endswith(explored)  # how far it got
    big = check_linearizable(hard_history(), model, memory_limit_mb=0, native=engine)
    assert big.valid == "unknown" and "memory limit" in big.data["reason"]


def test_budget_reason_per_key_says_how_many_keys_were_decided():
    easy = [Op(INVOKE, "write", 1, 50, key="easy"), Op(OK, "write", 1, 50, key="easy")]
    hard = [op.with_(key="hard") for op in hard_history(n=22)]
    result = check_linearizable(History(easy + hard), get_model("register", initial=0),
                                time_limit=0.3)
    assert result.valid == "unknown"
    assert "1 of 2 keys decided, 1 undecided (the largest: key hard, 23 ops)" \
        in result.data["reason"]
    hard_key = result.data["keys"]["hard"]
    assert hard_key["reason"].startswith("time limit of 0.3 s reached after ")
    assert "checked" not in hard_key  # searched, as far as the budget allowed


def test_a_hard_key_does_not_hide_an_illegal_one():
    hard = [op.with_(key="hard") for op in hard_history(n=22)]
    easy = [Op(INVOKE, "write", 1, 100, key="easy"), Op(OK, "write", 1, 100, key="easy"),
            Op(INVOKE, "read", None, 101, key="easy"), Op(OK, "read", 2, 101, key="easy")]
    model = get_model("kv")
    kv_hard = [op.with_(f="put" if op.f == "write" else "get",
                        value=None if op.value is None else str(op.value)) for op in hard]
    kv_easy = [op.with_(f="put" if op.f == "write" else "get", value=str(op.value)
                        if op.value is not None else None) for op in easy]
    result = check_linearizable(History(kv_hard + kv_easy), model, time_limit=20)
    assert result.valid is False
    assert result.data["counterexample"]["key"] == "easy"
    assert result.data["keys"]["hard"]["valid"] == "unknown"
    assert result.data["keys"]["hard"]["checked"] is False
    assert result.data["keys"]["hard"]["reason"] == \
        "not checked (stopped at the first invalid key; --full checks all)"
    assert result.data["time_s"] < 5


def test_full_run_decides_every_key():
    model = get_model("kv")
    ops = []
    for k, bad in (("a", True), ("b", False), ("c", True)):
        ops += [Op(INVOKE, "put", "x", 0, key=k), Op(OK, "put", "x", 0, key=k),
                Op(INVOKE, "get", None, 0, key=k), Op(OK, "get", "y" if bad else "x", 0, key=k)]
    result = check_linearizable(History(ops), model, full=True)
    assert result.valid is False
    assert {k: r["valid"] for k, r in result.data["keys"].items()} == {
        "a": False, "b": True, "c": False}


@pytest.mark.parametrize("engine", ENGINES)
def test_explain_false_gives_the_same_verdicts_without_a_counterexample(engine):
    ops = []
    for k, bad in (("a", False), ("b", True), ("c", False)):
        ops += [Op(INVOKE, "write", 1, 0, key=k), Op(OK, "write", 1, 0, key=k),
                Op(INVOKE, "read", None, 1, key=k), Op(OK, "read", 2 if bad else 1, 1, key=k)]
    model = get_model("cas-register")
    explained = check_linearizable(History(ops), model, full=True, native=engine)
    bare = check_linearizable(History(ops), model, full=True, native=engine, explain=False)
    assert (bare.valid, explained.valid) == (False, False)
    assert {k: r["valid"] for k, r in bare.data["keys"].items()} == \
        {k: r["valid"] for k, r in explained.data["keys"].items()} == \
        {"a": True, "b": False, "c": True}
    assert explained.data["keys"]["b"]["counterexample"]["op"]["value"] == 2
    assert "counterexample" not in bare.data
    assert all("counterexample" not in r for r in bare.data["keys"].values())
    assert Linearizable(model, explain=False).check({}, History(ops), {}).valid is False


def test_checker_class_and_bad_ops():
    checker = Linearizable(get_model("register"), time_limit=5)
    ok = seq(Op(INVOKE, "write", 1, 0), Op(OK, "write", 1, 0))
    assert checker.check({}, ok, {}).valid is True
    from faultline.core.result import safe_check
    bad = seq(Op(INVOKE, "cas", [1, 2], 0), Op(OK, "cas", [1, 2], 0))
    result = safe_check(checker, {}, bad, {})
    assert result.valid == "unknown" and "no operation 'cas'" in result.error


def test_unique_values_prune_the_search():
    """A generated history with unique writes: the hints cut the configurations searched."""
    from faultline.checkers.generate import register_history
    history = register_history(ops=400, keys=2, processes=10, unknown=0.05, seed=7)
    model = get_model("cas-register")
    pruned = check_linearizable(history, model, time_limit=60)
    plain = check_linearizable(history, model, time_limit=60, prune=False)
    assert pruned.valid is True and plain.valid is True
    assert pruned.data["configurations"] < plain.data["configurations"]


def test_stale_and_future_reads_are_named_without_a_search():
    model = get_model("cas-register")
    stale = seq(Op(INVOKE, "write", 1, 0), Op(OK, "write", 1, 0),
                Op(INVOKE, "write", 2, 0), Op(OK, "write", 2, 0),
                Op(INVOKE, "read", None, 1), Op(OK, "read", 1, 1))
    result = check_linearizable(stale, model)
    ce = result.data["counterexample"]
    assert result.valid is False and result.data["engine"] == ["hints"]
    assert ce["shape"] == "stale-read" and ce["op"]["value"] == 1 and ce["conflict"]["value"] == 2
    assert "already overwritten" in ce["explanation"]
    future = seq(Op(INVOKE, "read", None, 1), Op(OK, "read", 5, 1),
                 Op(INVOKE, "write", 5, 0), Op(OK, "write", 5, 0))
    ce = check_linearizable(future, model).data["counterexample"]
    assert ce["shape"] == "future-read" and ce["conflict"]["value"] == 5


def test_a_generated_history_with_one_stale_read_is_caught_and_explained():
    from faultline.checkers.generate import register_history
    history = register_history(ops=3000, keys=3, processes=20, unknown=0.05, stale_reads=1,
                               seed=3)
    model = get_model("cas-register")
    hinted = check_linearizable(history, model, time_limit=60)
    plain = check_linearizable(history, model, time_limit=5, prune=False)
    assert hinted.valid is False and plain.valid in (False, "unknown")
    assert hinted.data["counterexample"]["explanation"]
    clean = register_history(ops=3000, keys=3, processes=20, unknown=0.05, seed=3)
    assert check_linearizable(clean, model, time_limit=60).valid is True


# -- the built-in models stepped in the compiled core agree with their Python step ------
def _agree_native_and_python(model, history):
    """Same verdict from the core stepping the model natively, the core calling back into
    Python (a model without ``native_ops``), and the pure-Python search; and for an
    illegal history the same state in the counterexample."""
    in_python = PythonOnly(model)
    native_result = check_linearizable(history, model, native=True)
    callback = check_linearizable(history, in_python, native=True)
    python = check_linearizable(history, model, native=False)
    assert native_result.valid == callback.valid == python.valid
    if python.valid is False:
        assert (native_result.data["counterexample"]["state"]
                == python.data["counterexample"]["state"])
    return native_result


class PythonOnly:
    """A user model: the built-in's Python methods, without ``native_ops``."""

    def __init__(self, model):
        self._model = model
        self.name = model.name
        for name in ("read_only", "partition", "order_views"):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))

    def init(self):
        return self._model.init()

    def step(self, state, op):
        return self._model.step(state, op)

    def describe(self, op):
        return self._model.describe(op)


def test_native_models_never_call_python_and_user_models_do():
    history = build([("write", 1, OK, 1, None), ("read", None, OK, 1, None)], range(4))
    model = get_model("cas-register")
    calls = []
    slow = PythonOnly(model)
    slow.step = lambda state, op: calls.append(op) or model.step(state, op)
    entries = entries_for(model, partition(model, history)[None])
    assert native.NativeSearch(model, entries).steps_in_python is False
    assert check_linearizable(history, slow, native=True).valid is True and calls


# JSON-ish values; 1 == True and [1, 2] == [1, 2.0] as in Python
ANY_VALUE = st.sampled_from([None, 0, 1, 2, True, "x", [1, 2], [1, 2.0]])
needs_core = pytest.mark.skipif(not native.AVAILABLE, reason="compiled core not built")


@st.composite
def other_model_ops(draw, model, max_ops=7):
    """Histories for the set, mutex and multi-register models."""
    n = draw(st.integers(1, max_ops))
    ops = []
    for _ in range(n):
        outcome = draw(st.sampled_from([OK, OK, OK, INFO, FAIL, None]))
        if model == "set":
            if draw(st.booleans()):
                v = draw(st.sampled_from([1, 2, "a", [1]]))
                ops.append(("add", v, outcome, v, None))
            else:
                seen = draw(st.one_of(st.lists(st.sampled_from([1, 2, "a", [1], True]),
                                               max_size=3), st.just(None)))
                ops.append(("read", None, outcome, seen, None))
        elif model == "mutex":
            ops.append((draw(st.sampled_from(["acquire", "release"])), None, outcome, None,
                        None))
        else:
            micro = draw(st.lists(st.tuples(st.sampled_from(["r", "w", "read", "write"]),
                                            st.sampled_from(["x", "y"]),
                                            st.sampled_from([None, 1, 2])),
                                  min_size=1, max_size=3))
            value = [list(m) for m in micro]
            ops.append(("txn", value, outcome, value, None))
    return ops, draw(st.permutations(range(2 * n)))


@needs_core
@settings(max_examples=200, deadline=None)
@given(case=register_ops(max_ops=7, values=ANY_VALUE), initial=st.sampled_from([None, 0, 1]),
       name=st.sampled_from(["register", "cas-register"]), prune=st.booleans())
def test_native_register_models_agree_with_python(case, initial, name, prune):
    ops, order = case
    if name == "register":
        ops = [o for o in ops if o[0] != "cas"] or [("read", None, OK, None, None)]
        order = [s for s in order if s < 2 * len(ops)]
    history = build(ops, order)
    model = get_model(name, initial=initial)
    assert _agree_native_and_python(model, history).valid == brute_force(history, model)


@needs_core
@settings(max_examples=150, deadline=None)
@given(case=kv_ops())
def test_native_kv_agrees_with_python(case):
    _agree_native_and_python(get_model("kv"), build(*case))


@needs_core
@pytest.mark.parametrize("name", ["set", "mutex", "multi-register"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_native_set_mutex_multi_register_agree_with_python(name, data):
    history = build(*data.draw(other_model_ops(name)))
    options = {"initial": {"x": 1}} if name == "multi-register" and data.draw(st.booleans()) \
        else {}
    model = get_model(name, **options)
    assert _agree_native_and_python(model, history).valid == brute_force(history, model)


@needs_core
def test_kv_values_that_are_not_strings_are_stepped_in_python():
    history = build([("put", 5, OK, 5, None), ("get", None, OK, 5, None)], range(4))
    model = get_model("kv")
    entries = entries_for(model, partition(model, history)[None], prune=False)
    assert native.NativeSearch(model, entries).steps_in_python is True
    assert check_linearizable(history, model, prune=False).valid is True


# -- the core's own preparation of register histories -----------------------------------
def _python_prepared(model, history):
    """What prepare.py and order.py make of ``history``: per key (calls, rets, required,
    predecessors, contradiction), the reference for native.prepare_registers."""
    from faultline.checkers.independent import per_key_if_keyed
    from faultline.checkers.order import contradiction

    model = per_key_if_keyed(model, history)
    out = {}
    for key, pairs in partition(model, history).items():
        entries = entries_for(model, pairs)
        preds = [[i for i in range(len(entries)) if e.preds >> i & 1] for e in entries]
        out[key] = (len(pairs), [(e.call, e.ret if e.required else -1, e.required)
                                 for e in entries], preds, contradiction(entries))
    return out


def _native_prepared(model, history):
    _, keys = native.prepare_registers(model, history, prune=True)
    out = {}
    for key, count, core, clash in keys:
        spans = [(call, ret if ret >= 0 and required else -1, required) for (call, ret), required
                 in zip(core.spans(), _required(history, core.spans()))]
        out[key] = (count, spans, core.predecessors(), clash)
    return out


def _required(history, spans):
    return [ret >= 0 and (history[ret].type == OK or history[ret].error == CAS_MISMATCH)
            for _, ret in spans]


@needs_core
@pytest.mark.parametrize("seed", range(6))
def test_the_core_prepares_generated_register_histories_as_python_does(seed):
    from faultline.checkers.generate import register_history

    history = register_history(ops=600, keys=1 + seed % 3, processes=10 + 5 * seed,
                               unknown=0.05 * (seed % 2), stale_reads=seed % 3, seed=seed)
    model = get_model("cas-register")
    assert _native_prepared(model, history) == _python_prepared(model, history)


@needs_core
@settings(max_examples=300, deadline=None)
@given(case=st.one_of(unique_register_ops(max_ops=8), register_ops(max_ops=7)),
       initial=st.sampled_from([None, 0, 10]), keyed=st.booleans(), nemesis=st.booleans())
def test_the_core_prepares_random_register_histories_as_python_does(case, initial, keyed,
                                                                    nemesis):
    history = build(*case)
    ops = [op.with_(key=op.process % 2) if keyed else op for op in history]
    if nemesis:
        ops.insert(len(ops) // 2, Op(type=INFO, f="kill", value=None, process="nemesis"))
    history = History(ops)
    model = get_model("cas-register", initial=initial)
    assert _native_prepared(model, history) == _python_prepared(model, history)


@needs_core
def test_the_core_leaves_other_values_and_unknown_ops_to_python():
    model = get_model("cas-register")
    floats = build([("write", 1.0, OK, 1.0, None), ("read", None, OK, 1, None)], range(4))
    unknown_f = build([("write", 1, OK, 1, None), ("incr", 1, OK, 1, None)], range(4))
    assert native.prepare_registers(model, floats, prune=True) is None
    assert native.prepare_registers(model, unknown_f, prune=True) is None
    assert check_linearizable(floats, model).valid is True  # 1.0 == 1, as in Python
    with pytest.raises(BadInputError, match="no operation 'incr'"):
        check_linearizable(unknown_f, model)
