"""NFQUEUE delayer: hold every packet iptables queues to it for a delay, then accept it.

This file runs INSIDE a node container, as ``python3 nfqueue_delayer.py ...`` (the
harness copies it in; see :mod:`faultline.cluster.packet`). It needs only the Python
standard library: it speaks nfnetlink_queue over a raw netlink socket, because Debian
has no Python NFQUEUE bindings and the kernels we run on have no ``netem`` qdisc.

    python3 nfqueue_delayer.py --queue 4217 --delay-ms 100 [--jitter-ms 20] [--pid-file F]
    python3 nfqueue_delayer.py --queue 4218 --probe

Packets come with metadata only (copy mode META: the verdict needs the packet id, not
its bytes). Each is accepted ``delay`` (+ uniform jitter) after it arrived; with jitter,
packets may overtake each other, as with netem. The queue is configured fail-open and
the iptables rules use ``--queue-bypass``, so a full queue or a dead delayer lets
packets through undelayed rather than cutting the link. On SIGTERM/SIGINT every held
packet is accepted at once before the queue is unbound: healing never drops traffic.

The pid file is written once the queue is bound (the harness waits for it before adding
the iptables rules) and removed on exit. Exit status: 0 clean stop or probe success,
1 the queue could not be bound (message on stderr).
"""

from __future__ import annotations

import argparse
import errno
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time
from typing import Iterator

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQA_CFG_MASK = 4
NFQA_CFG_FLAGS = 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_CFG_CMD_UNBIND = 2
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 1
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NLA_TYPE_MASK = 0x3FFF  # strips NLA_F_NESTED / NLA_F_NET_BYTEORDER
SO_RCVBUFFORCE = 33

QUEUE_MAXLEN = 16384
"""Packets the kernel holds for us at most; beyond it, fail-open accepts them undelayed."""
RCVBUF = 8 << 20

_NLMSGHDR = struct.Struct("=IHHII")   # len, type, flags, seq, pid
_NLATTR = struct.Struct("=HH")        # len, type


def _align(n: int) -> int:
    return (n + 3) & ~3


def attr(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    length = _NLATTR.size + len(payload)
    return _NLATTR.pack(length, kind) + payload + b"\0" * (_align(length) - length)


def message(msg: int, queue: int, attrs: bytes, *, seq: int = 0, flags: int = NLM_F_REQUEST) -> bytes:
    """An nfnetlink_queue message: netlink header, nfgenmsg (res_id = queue), attributes."""
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    kind = (NFNL_SUBSYS_QUEUE << 8) | msg
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), kind, flags, seq, 0) + body


def config_messages(queue: int) -> list[bytes]:
    """Bind ``queue``; metadata-only copies; a long queue; fail open when it is full."""
    return [
        message(NFQNL_MSG_CONFIG, queue, attr(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0)),
                seq=1, flags=NLM_F_REQUEST | NLM_F_ACK),
        message(NFQNL_MSG_CONFIG, queue, attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)),
                seq=2, flags=NLM_F_REQUEST | NLM_F_ACK),
        message(NFQNL_MSG_CONFIG, queue, attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", QUEUE_MAXLEN)),
                seq=3, flags=NLM_F_REQUEST | NLM_F_ACK),
        message(NFQNL_MSG_CONFIG, queue,
                attr(NFQA_CFG_MASK, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN))
                + attr(NFQA_CFG_FLAGS, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN)),
                seq=4, flags=NLM_F_REQUEST | NLM_F_ACK),
    ]


def unbind_message(queue: int) -> bytes:
    return message(NFQNL_MSG_CONFIG, queue, attr(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_UNBIND, 0, 0)))


def verdict_message(queue: int, packet_id: int) -> bytes:
    return message(NFQNL_MSG_VERDICT, queue, attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id)))


def split_messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, seq, payload) of each netlink message in a datagram."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size or offset + length > len(data):
            return
        yield kind, seq, data[offset + _NLMSGHDR.size: offset + length]
        offset += _align(length)


def packet_id(payload: bytes) -> int | None:
    """The packet id of an NFQNL_MSG_PACKET payload (after its 4-byte nfgenmsg)."""
    offset = 4
    while offset + _NLATTR.size <= len(payload):
        length, kind = _NLATTR.unpack_from(payload, offset)
        if length < _NLATTR.size:
            return None
        if kind & NLA_TYPE_MASK == NFQA_PACKET_HDR and length >= _NLATTR.size + 4:
            return struct.unpack_from("!I", payload, offset + _NLATTR.size)[0]
        offset += _align(length)
    return None


def ack_error(payload: bytes) -> int:
    """The (positive) errno of an NLMSG_ERROR payload; 0 is a plain acknowledgement."""
    return -struct.unpack_from("=i", payload)[0]


class Delayer:
    """Owns the netlink socket bound to one queue and the packets it holds."""

    def __init__(self, queue: int, delay_s: float, jitter_s: float, seed: int | None = None):
        self.queue = queue
        self.delay_s = delay_s
        self.jitter_s = jitter_s
        self.rng = random.Random(seed)
        self.held: list[tuple[float, int, int]] = []  # (due, arrival number, packet id)
        self.arrivals = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:  # without CAP_NET_ADMIN the default buffer still works
            pass
        self.sock.bind((0, 0))

    def configure(self) -> None:
        """Bind the queue; OSError with the kernel's errno when it refuses."""
        for request in config_messages(self.queue):
            self.sock.send(request)
            self._await_ack(struct.unpack_from("=I", request, 8)[0])

    def _await_ack(self, seq: int) -> None:
        while True:
            for kind, got_seq, payload in split_messages(self.sock.recv(65536)):
                if kind == NLMSG_ERROR and got_seq == seq:
                    code = ack_error(payload)
                    if code:
                        raise OSError(code, f"nfqueue config step {seq}: {os.strerror(code)}")
                    return

    def receive(self) -> None:
        """Take every packet the kernel has queued, without blocking."""
        now = time.monotonic()
        while True:
            try:
                data = self.sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # we fell behind; fail-open covered the excess
                    continue
                raise
            for kind, _seq, payload in split_messages(data):
                if kind != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    continue
                pid = packet_id(payload)
                if pid is None:
                    continue
                due = now + self.delay_s + (self.rng.uniform(-self.jitter_s, self.jitter_s) if self.jitter_s else 0)
                heapq.heappush(self.held, (due, self.arrivals, pid))
                self.arrivals += 1

    def release(self, until: float) -> None:
        """Accept every held packet due by ``until``."""
        while self.held and self.held[0][0] <= until:
            _due, _n, pid = heapq.heappop(self.held)
            self.sock.send(verdict_message(self.queue, pid))

    def next_due(self) -> float | None:
        return self.held[0][0] if self.held else None

    def close(self) -> None:
        self.release(float("inf"))
        try:
            self.sock.send(unbind_message(self.queue))
        finally:
            self.sock.close()


def serve(delayer: Delayer, pid_file: str | None) -> None:
    """Delay packets until SIGTERM/SIGINT; then accept the held ones and return."""
    wake_r, wake_w = socket.socketpair()
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    if pid_file:
        with open(f"{pid_file}.tmp", "w") as fh:
            fh.write(f"{os.getpid()}\n")
        os.replace(f"{pid_file}.tmp", pid_file)
    try:
        while not stopping:
            due = delayer.next_due()
            timeout = None if due is None else max(0.0, due - time.monotonic())
            readable, _, _ = select.select([delayer.sock, wake_r], [], [], timeout)
            if delayer.sock in readable:
                delayer.receive()
            delayer.release(time.monotonic())
    finally:
        delayer.close()
        if pid_file:
            try:
                os.unlink(pid_file)
            except FileNotFoundError:
                pass
    print(f"nfqueue_delayer: queue {delayer.queue}: {delayer.arrivals} packets delayed", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delay packets queued by iptables NFQUEUE.")
    parser.add_argument("--queue", type=int, required=True, help="NFQUEUE number (0-65535)")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--pid-file", default=None, help="written once bound, removed on exit")
    parser.add_argument("--probe", action="store_true", help="bind and unbind the queue, then exit")
    args = parser.parse_args(argv)
    if not 0 <= args.queue <= 65535 or args.delay_ms < 0 or not 0 <= args.jitter_ms <= args.delay_ms:
        parser.error("need 0 <= queue <= 65535 and 0 <= jitter-ms <= delay-ms")
    try:
        delayer = Delayer(args.queue, args.delay_ms / 1000, args.jitter_ms / 1000, args.seed)
        delayer.configure()
    except OSError as e:
        print(f"nfqueue_delayer: cannot bind queue {args.queue}: {e}", file=sys.stderr)
        return 1
    if args.probe:
        delayer.close()
        print(f"nfqueue_delayer: queue {args.queue} can be bound")
        return 0
    serve(delayer, args.pid_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
