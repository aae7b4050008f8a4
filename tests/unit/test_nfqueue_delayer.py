"""The NFQUEUE delayer's netlink messages and its holding of packets, without a kernel queue."""

from __future__ import annotations

import socket
import struct

import pytest

from faultline.cluster import nfqueue_delayer as nfq


def packet_message(packet_id: int, queue: int = 7, extra_attrs: bytes = b"") -> bytes:
    """What the kernel sends for one queued packet (metadata copy)."""
    hdr = struct.pack("!IHB", packet_id, 0x0800, 1) + b"\0"  # id, hw_protocol, hook, pad
    # a leading attribute of another kind, as the kernel may send (mark, timestamp, ...)
    return nfq.message(nfq.NFQNL_MSG_PACKET, queue, extra_attrs + nfq.attr(nfq.NFQA_PACKET_HDR, hdr), flags=0)


def test_attributes_are_padded_to_four_bytes():
    assert nfq.attr(5, b"abcde") == struct.pack("=HH", 9, 5) + b"abcde" + b"\0\0\0"
    assert len(nfq.attr(1, b"abcd")) == 8


def test_message_header_and_queue_number_are_in_kernel_byte_order():
    msg = nfq.message(nfq.NFQNL_MSG_CONFIG, 4217, b"", seq=3, flags=nfq.NLM_F_REQUEST | nfq.NLM_F_ACK)
    length, kind, flags, seq, pid = struct.unpack_from("=IHHII", msg)
    assert (length, kind, flags, seq, pid) == (len(msg), (3 << 8) | 2, 5, 3, 0)
    family, version, res_id = struct.unpack_from("=BB2s", msg, 16)
    assert (family, version) == (socket.AF_UNSPEC, 0)
    assert res_id == (4217).to_bytes(2, "big")


def test_config_binds_then_asks_for_metadata_a_long_queue_and_fail_open():
    requests = nfq.config_messages(9)
    assert [struct.unpack_from("=I", r, 8)[0] for r in requests] == [1, 2, 3, 4]  # seq numbers
    assert all(struct.unpack_from("=H", r, 6)[0] & nfq.NLM_F_ACK for r in requests)
    bind = requests[0][20:]
    assert struct.unpack_from("=HH", bind) == (8, nfq.NFQA_CFG_CMD)
    assert bind[4] == nfq.NFQNL_CFG_CMD_BIND
    params = requests[1][20:]
    assert struct.unpack_from("=HH", params) == (9, nfq.NFQA_CFG_PARAMS)
    assert struct.unpack_from("!IB", params, 4) == (0, nfq.NFQNL_COPY_META)
    flags = requests[3][20:]
    assert struct.unpack_from("!I", flags, 4)[0] == nfq.NFQA_CFG_F_FAIL_OPEN  # mask
    assert struct.unpack_from("!I", flags, 12)[0] == nfq.NFQA_CFG_F_FAIL_OPEN  # flags


def test_packet_ids_are_found_among_other_attributes_and_messages_split():
    datagram = packet_message(41) + packet_message(0xDEADBEEF, extra_attrs=nfq.attr(6, b"\x01\x02"))
    parsed = list(nfq.split_messages(datagram))
    assert [kind for kind, _, _ in parsed] == [(3 << 8) | 0] * 2
    assert [nfq.packet_id(payload) for _, _, payload in parsed] == [41, 0xDEADBEEF]
    assert nfq.packet_id(b"\0\0\0\0" + nfq.attr(6, b"xx")) is None


def test_truncated_datagrams_yield_only_whole_messages():
    datagram = packet_message(1) + packet_message(2)
    assert len(list(nfq.split_messages(datagram[:-3]))) == 1


def test_verdict_accepts_the_packet_by_id():
    msg = nfq.verdict_message(7, 99)
    (_, kind, _, _, _) = struct.unpack_from("=IHHII", msg)
    assert kind == (3 << 8) | nfq.NFQNL_MSG_VERDICT
    assert struct.unpack_from("=HH", msg, 20) == (12, nfq.NFQA_VERDICT_HDR)
    assert struct.unpack_from("!II", msg, 24) == (nfq.NF_ACCEPT, 99)


def test_ack_errors_carry_the_errno():
    assert nfq.ack_error(struct.pack("=i", 0)) == 0
    assert nfq.ack_error(struct.pack("=i", -16)) == 16  # EBUSY: the queue is taken


class FakeSocket:
    def __init__(self, datagrams):
        self.datagrams = list(datagrams)
        self.sent = []

    def recv(self, size, flags=0):
        if not self.datagrams:
            raise BlockingIOError
        return self.datagrams.pop(0)

    def send(self, data):
        self.sent.append(data)

    def close(self):
        pass


def make_delayer(datagrams, delay_s=0.1, jitter_s=0.0):
    delayer = nfq.Delayer.__new__(nfq.Delayer)  # no kernel socket
    delayer.queue, delayer.delay_s, delayer.jitter_s = 7, delay_s, jitter_s
    delayer.rng = nfq.random.Random(1)
    delayer.held, delayer.arrivals = [], 0
    delayer.sock = FakeSocket(datagrams)
    return delayer


def accepted(sock):
    return [struct.unpack_from("!II", m, 24)[1] for m in sock.sent
            if struct.unpack_from("=H", m, 4)[0] == (3 << 8) | nfq.NFQNL_MSG_VERDICT]


def test_packets_are_held_for_the_delay_then_accepted_in_order():
    delayer = make_delayer([packet_message(1) + packet_message(2), packet_message(3)])
    delayer.receive()
    assert delayer.arrivals == 3 and accepted(delayer.sock) == []
    due = delayer.next_due()
    delayer.release(due - 0.01)
    assert accepted(delayer.sock) == []
    delayer.release(due + 0.001)
    assert accepted(delayer.sock) == [1, 2, 3]
    assert delayer.next_due() is None


def test_closing_accepts_everything_still_held_before_unbinding():
    delayer = make_delayer([packet_message(5), packet_message(6)], delay_s=60)
    delayer.receive()
    delayer.close()
    assert accepted(delayer.sock) == [5, 6]
    last = delayer.sock.sent[-1]
    assert struct.unpack_from("=H", last, 4)[0] == (3 << 8) | nfq.NFQNL_MSG_CONFIG
    assert last[24] == nfq.NFQNL_CFG_CMD_UNBIND


def test_jitter_spreads_due_times_within_bounds():
    delayer = make_delayer([b"".join(packet_message(i) for i in range(200))], delay_s=0.1, jitter_s=0.02)
    delayer.receive()
    offsets = sorted(due for due, _, _ in delayer.held)
    assert 0.035 < offsets[-1] - offsets[0] <= 0.04 + 0.005


@pytest.mark.parametrize("argv", [
    ["--queue", "70000"], ["--queue", "1", "--delay-ms", "-5"],
    ["--queue", "1", "--delay-ms", "5", "--jitter-ms", "10"],
])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as e:
        nfq.main(argv)
    assert e.value.code == 2
