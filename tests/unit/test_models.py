"""The sequential models: step semantics, options, errors."""

import pytest

from faultline.checkers.models import CAS_MISMATCH, MODEL_NAMES, get_model
from faultline.core.errors import BadInputError
from faultline.core.op import Op


def op(f, value=None, type="ok", **kw):
    return Op(type=type, f=f, value=value, **kw)


def test_cas_register_steps():
    m = get_model("cas-register", initial=None)
    s = m.init()
    assert m.step(s, op("read", None)) == (True, None)  # nil = absent, a real value here
    assert m.step(s, op("read", 1))[0] is False
    ok, s = m.step(s, op("write", 1))
    assert ok and s == 1
    assert m.step(s, op("cas", [1, 2])) == (True, 2)
    assert m.step(s, op("cas", [0, 2]))[0] is False


def test_cas_mismatch_is_an_observation_not_a_no_op():
    m = get_model("cas-register", initial=0)
    mismatch = op("cas", [0, 5], type="fail", error=CAS_MISMATCH)
    assert m.step(0, mismatch) == (False, 0)  # the register WAS 0: the compare would match
    assert m.step(3, mismatch) == (True, 3)  # not 0: consistent, and nothing written
    assert m.read_only(mismatch) and not m.read_only(op("cas", [0, 5]))


def test_read_of_none_is_unconstrained_when_none_is_not_a_value():
    assert get_model("cas-register", initial=0).step(7, op("read", None)) == (True, 7)
    assert get_model("register", initial=None).step(7, op("read", None))[0] is False


def test_plain_register_refuses_cas():
    with pytest.raises(BadInputError, match="no operation 'cas'"):
        get_model("register").step(None, op("cas", [1, 2]))


def test_kv_put_append_get_and_partition():
    m = get_model("kv")
    s = m.init()
    assert s == ""
    _, s = m.step(s, op("put", "a"))
    _, s = m.step(s, op("append", "b"))
    assert m.step(s, op("get", "ab")) == (True, "ab")
    assert m.step(s, op("get", "a"))[0] is False
    assert m.step("", op("get", None))[0] is True  # an absent key reads as ""
    from faultline.core.history import History
    h = History([op("put", "a", type="invoke", key="x", process=1),
                 op("put", "b", type="invoke", key="y", process=2),
                 op("put", "a", key="x", process=1), op("put", "b", key="y", process=2)])
    parts = m.partition(h)
    assert sorted(parts) == ["x", "y"] and len(parts["x"]) == 1


def test_multi_register_txn():
    m = get_model("multi-register", initial={"x": 0, "y": 0})
    s = m.init()
    ok, s = m.step(s, op("txn", [["write", "x", 1], ["read", "y", 0]]))
    assert ok
    assert m.step(s, op("txn", [["read", "x", 1], ["read", "y", None]]))[0] is True
    assert m.step(s, op("txn", [["read", "x", 0]]))[0] is False
    assert m.read_only(op("txn", [["read", "x", None]]))
    with pytest.raises(BadInputError):
        m.step(s, op("txn", [["frob", "x", 1]]))


def test_set_and_mutex():
    st = get_model("set")
    _, s = st.step(st.init(), op("add", 1))
    _, s = st.step(s, op("add", 2))
    assert st.step(s, op("read", [2, 1]))[0] is True
    assert st.step(s, op("read", [1]))[0] is False
    mu = get_model("mutex")
    ok, s = mu.step(mu.init(), op("acquire"))
    assert ok and mu.step(s, op("acquire"))[0] is False
    assert mu.step(s, op("release")) == (True, False)
    assert mu.step(False, op("release"))[0] is False


def test_get_model_errors_are_clear():
    with pytest.raises(BadInputError, match="unknown model 'regster'"):
        get_model("regster")
    with pytest.raises(BadInputError, match="bad options"):
        get_model("set", initial=3)
    assert set(MODEL_NAMES) == {"register", "cas-register", "kv", "multi-register", "set",
                                "mutex"}


def test_describe_names_the_operation():
    m = get_model("cas-register")
    assert "compare failed" in m.describe(op("cas", [1, 2], type="fail", error=CAS_MISMATCH))
    assert m.describe(op("write", 3)) == "write 3"
