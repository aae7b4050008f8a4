"""The clients' pure parts: error classification, request bodies, response parsing."""

from __future__ import annotations

import base64
import json

import pytest
from kazoo import exceptions as kx

from faultline.core.vocabulary import CAS_MISMATCH
from faultline.core.errors import BadInputError
from faultline.core.op import FAIL, INFO, OK
from faultline.dbs import DBS, client_factory
from faultline.dbs.client_support import decode_value, resolve_address, unknown_outcome_type
from faultline.dbs.etcd.client import (classify_status, classify_transport_error, completion_of,
                                    request_for)
from faultline.dbs.etcd.grpc_client import classify_rpc_error
from faultline.dbs.etcd.http1 import Lost, NotSent, ProtocolViolation, ResponseParser, ResponseTimeout
from faultline.dbs.zookeeper.client import NotSentError, classify_zk_error

WRITES = ["write", "cas"]


def gateway_error(code: int, message: str) -> bytes:
    return json.dumps({"error": message, "message": message, "code": code}).encode()


# -- etcd ---------------------------------------------------------------------------------

@pytest.mark.parametrize("f", ["read", "write", "cas"])
def test_etcd_not_sent_is_fail_for_every_f(f):
    kind, error = classify_transport_error(f, NotSent("connect to n1:2379: refused"))
    assert kind == FAIL
    assert error.startswith("not-sent")


@pytest.mark.parametrize("f", WRITES)
@pytest.mark.parametrize("exc, prefix", [(ResponseTimeout("slow"), "timeout"),
                                          (Lost("connection reset"), "connection-lost")])
def test_etcd_sent_then_no_answer_is_info_for_writes(f, exc, prefix):
    kind, error = classify_transport_error(f, exc)
    assert (kind, error.split(":")[0]) == (INFO, prefix)


def test_etcd_unknown_outcome_of_a_read_is_fail():
    assert classify_transport_error("read", Lost("reset"))[0] == FAIL
    assert classify_status("read", 503, gateway_error(14, "etcdserver: leader changed"))[0] == FAIL


@pytest.mark.parametrize("f", WRITES)
@pytest.mark.parametrize("code, message", [
    (14, "etcdserver: leader changed"),
    (14, "etcdserver: request timed out"),
    (14, "etcdserver: request timed out, possibly due to previous leader failure"),
    (14, "etcdserver: server stopped"),
    (4, "context deadline exceeded"),
    (1, "context canceled"),
    (13, "internal"),
    (2, "whatever"),
])
def test_etcd_server_errors_that_may_follow_a_proposal_are_info(f, code, message):
    kind, error = classify_status(f, 503, gateway_error(code, message))
    assert kind == INFO
    assert message in error


@pytest.mark.parametrize("f", WRITES)
@pytest.mark.parametrize("code, message, name", [
    (3, "etcdserver: request is too large", "invalid-argument"),
    (8, "etcdserver: too many requests", "resource-exhausted"),
    (8, "etcdserver: mvcc: database space exceeded", "resource-exhausted"),
    (16, "etcdserver: invalid auth token", "unauthenticated"),
    (7, "etcdserver: permission denied", "permission-denied"),
])
def test_etcd_definite_rejections_are_fail(f, code, message, name):
    assert classify_status(f, 400, gateway_error(code, message)) == (FAIL, f"{name}: {message}")


def test_etcd_status_without_gateway_document():
    assert classify_status("write", 404, b"404 page not found\n") == (FAIL, "http-404: 404 page not found")
    assert classify_status("write", 502, b"bad gateway")[0] == INFO


def _body(f, value, serializable=False):
    path, body = request_for(f, base64.b64encode(b"p/k"), value, serializable)
    return path, json.loads(body)


def test_etcd_requests():
    k = base64.b64encode(b"p/k").decode()
    assert _body("read", None) == (b"/v3/kv/range", {"key": k})
    assert _body("read", None, True) == (b"/v3/kv/range", {"key": k, "serializable": True})
    assert _body("write", 12) == (b"/v3/kv/put", {"key": k, "value": base64.b64encode(b"12").decode()})
    path, txn = _body("cas", [3, 4])
    assert path == b"/v3/kv/txn"
    assert txn["compare"] == [{"key": k, "target": "VALUE", "result": "EQUAL",
                               "value": base64.b64encode(b"3").decode()}]
    assert txn["success"] == [{"request_put": {"key": k, "value": base64.b64encode(b"4").decode()}}]
    _, create = _body("cas", [None, 4])
    assert create["compare"] == [{"key": k, "target": "VERSION", "result": "EQUAL", "version": "0"}]


def test_etcd_requests_reject_what_they_cannot_encode():
    with pytest.raises(BadInputError):
        request_for("write", b"a2V5", "not-an-int", False)
    with pytest.raises(ValueError):
        request_for("append", b"a2V5", 1, False)


def test_etcd_completions():
    header = {"header": {"revision": "7"}}
    kv = {"key": "cC9r", "value": base64.b64encode(b"42").decode(), "version": "3"}
    assert completion_of("read", json.dumps({**header, "kvs": [kv], "count": "1"}).encode()) == (OK, 42, None)
    assert completion_of("read", json.dumps(header).encode()) == (OK, None, None)
    assert completion_of("cas", json.dumps({**header, "succeeded": True}).encode()) == (OK, None, None)
    assert completion_of("cas", json.dumps(header).encode()) == (FAIL, None, CAS_MISMATCH)
    assert completion_of("write", json.dumps(header).encode()) == (OK, None, None)


# -- etcd over gRPC -----------------------------------------------------------------------

REFUSED = ("failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.3:2379: "
           "Failed to connect to remote host: Connection refused")


@pytest.mark.parametrize("f", ["read", "write", "cas"])
def test_grpc_pick_failure_is_not_sent(f):
    kind, error = classify_rpc_error(f, 14, REFUSED)
    assert (kind, error) == (FAIL, f"not-sent: {REFUSED}")


@pytest.mark.parametrize("f", WRITES)
@pytest.mark.parametrize("code, details, expected", [
    (14, "Socket closed", (INFO, "unavailable: Socket closed")),
    (14, "recvmsg:Connection reset by peer", (INFO, "unavailable: recvmsg:Connection reset by peer")),
    (14, "etcdserver: leader changed", (INFO, "unavailable: etcdserver: leader changed")),
    (4, "Deadline Exceeded", (INFO, "timeout")),
    (1, "Locally cancelled by application!", (INFO, "cancelled: Locally cancelled by application!")),
    (8, "etcdserver: too many requests", (FAIL, "resource-exhausted: etcdserver: too many requests")),
    (3, "etcdserver: request is too large", (FAIL, "invalid-argument: etcdserver: request is too large")),
])
def test_grpc_status_classification(f, code, details, expected):
    assert classify_rpc_error(f, code, details) == expected


def test_grpc_unknown_outcome_of_a_read_is_fail():
    assert classify_rpc_error("read", 4, "Deadline Exceeded") == (FAIL, "timeout")


# -- ZooKeeper ------------------------------------------------------------------------------

@pytest.mark.parametrize("f", ["read", "write", "cas"])
def test_zk_not_sent_is_fail(f):
    assert classify_zk_error(f, NotSentError("session not connected"))[0] == FAIL


@pytest.mark.parametrize("f", WRITES)
@pytest.mark.parametrize("exc", [kx.ConnectionLoss(), kx.OperationTimeoutError(),
                                 kx.SessionExpiredError(), kx.ConnectionDropped("x"),
                                 kx.SystemZookeeperError(), kx.SessionMovedError(),
                                 TimeoutError(), RuntimeError("surprise")])
def test_zk_unknown_outcomes_after_sending_are_info(f, exc):
    assert classify_zk_error(f, exc)[0] == INFO


@pytest.mark.parametrize("f", WRITES)
@pytest.mark.parametrize("exc", [kx.NoNodeError(), kx.NodeExistsError(), kx.BadVersionError(),
                                 kx.NoAuthError(), kx.BadArgumentsError(), kx.ThrottledOpError(),
                                 kx.QuotaExceededError(), kx.NotReadOnlyCallError()])
def test_zk_definite_rejections_are_fail(f, exc):
    assert classify_zk_error(f, exc) == (FAIL, type(exc).__name__)


def test_zk_timeout_is_named():
    assert classify_zk_error("write", TimeoutError()) == (INFO, "timeout")
    assert classify_zk_error("read", kx.ConnectionLoss())[0] == FAIL


# -- shared -------------------------------------------------------------------------------

def test_unknown_outcome_rule():
    assert unknown_outcome_type("read") == FAIL
    assert unknown_outcome_type("write") == unknown_outcome_type("cas") == INFO


def test_decode_value():
    assert decode_value(b"17") == 17
    assert decode_value(b"x7") == "x7"


def test_resolve_address():
    test = {"addresses": {"n1": "10.0.0.2:2379", "n2": ["10.0.0.3", 2380], "n3": "bad:port"}}
    assert resolve_address(test, "n1", 1) == ("10.0.0.2", 2379)
    assert resolve_address(test, "n2", 1) == ("10.0.0.3", 2380)
    assert resolve_address({}, "n4", 2181) == ("n4", 2181)
    assert resolve_address({}, "127.0.0.1:12379", 2379) == ("127.0.0.1", 12379)
    with pytest.raises(BadInputError, match="n3"):
        resolve_address(test, "n3", 1)


@pytest.mark.parametrize("db, workload, test, match", [
    ("etcd", "bank", {"key_prefix": "t"}, "no client for workload 'bank'"),
    ("etcd", "register", {"key_prefix": "t", "read_mode": "sync"}, "read-mode"),
    ("zookeeper", "register", {"key_prefix": "t", "read_mode": "serializable"}, "read-mode"),
    ("etcd", "register", {}, "key_prefix"),
    ("etcd", "register", {"key_prefix": "t", "transport": "quic"}, "--transport for etcd"),
    ("zookeeper", "register", {"key_prefix": "t", "transport": "grpc"}, "kazoo"),
    ("etcd", "register", {"key_prefix": "t", "transport": "grpc", "read_mode": "sync"},
     "read-mode"),
    ("zookeeper", "register", {"key_prefix": "t", "client_timeout_s": 0}, "client_timeout_s"),
])
def test_client_factory_rejects_bad_options(db, workload, test, match):
    with pytest.raises(BadInputError, match=match):
        client_factory(DBS.get(db), workload, test)


def test_a_transport_a_workload_has_no_client_for_is_refused_by_name():
    etcd = DBS.get("etcd")
    missing = next((w for w, by in etcd.clients.items() if "grpc" not in by), None)
    if missing is None:
        pytest.skip("every etcd workload has a grpc client")
    with pytest.raises(BadInputError, match="--transport for etcd must be one of http"):
        client_factory(etcd, missing, {"key_prefix": "t", "transport": "grpc"})


def test_client_factory_defaults_make_fresh_clients():
    from faultline.dbs.etcd.client import EtcdClient
    from faultline.dbs.etcd.grpc_client import EtcdGrpcClient

    etcd, zookeeper = DBS.get("etcd"), DBS.get("zookeeper")
    make = client_factory(etcd, "register", {"key_prefix": "t"})
    assert make() is not make()
    assert isinstance(make(), EtcdClient)
    assert isinstance(client_factory(etcd, "register", {"key_prefix": "t", "transport": "grpc"})(),
                      EtcdGrpcClient)
    assert client_factory(zookeeper, "register", {"key_prefix": "t", "read_mode": "plain"})() \
        is not None


def test_every_declared_client_factory_resolves():
    """Every ``module:factory`` a db names imports and makes clients; every workload a db
    has clients for runs over its default transport; the others a workload may lack."""
    for db in DBS:
        for workload, by_transport in db.clients.items():
            assert db.transports[0] in by_transport and set(by_transport) <= set(db.transports)
            for transport in by_transport:
                make = client_factory(db, workload, {"key_prefix": "t", "transport": transport})
                assert make() is not None


# -- HTTP/1.1 response parsing -------------------------------------------------------------

def test_parser_content_length_split_anywhere():
    response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
    for cut in range(len(response)):
        parser = ResponseParser()
        got = parser.feed(response[:cut]) + parser.feed(response[cut:])
        assert got == [(200, b'{"a":1}')]


def test_parser_chunked_with_trailers_and_pipelined_responses():
    chunked = (b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n"
               b"Trailer: Grpc-Trailer-Content-Type\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\nGrpc-Trailer-Content-Type: application/grpc\r\n\r\n")
    plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
    parser = ResponseParser()
    assert parser.feed(chunked + plain) == [(503, b"hello world"), (200, b"{}")]
    no_trailers = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    for cut in range(len(no_trailers)):
        parser = ResponseParser()
        assert parser.feed(no_trailers[:cut]) + parser.feed(no_trailers[cut:]) == [(200, b"ok")]


@pytest.mark.parametrize("garbage", [b"SSH-2.0-OpenSSH\r\n\r\n",
                                     b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                                     b"HTTP/1.1 200 OK\r\nServer: y\r\n\r\n"])
def test_parser_rejects_garbage(garbage):
    with pytest.raises(ProtocolViolation):
        ResponseParser().feed(garbage)
