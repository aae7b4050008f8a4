"""A minimal asyncio HTTP/1.1 client: one keep-alive connection, one request at a time.

Why our own: etcd's JSON gateway is plain HTTP/1.1, and the harness budget is < 100 us of
CPU per op for the whole process. Measured on the 2-core dev machine against a local
3-node etcd at concurrency 50, aetcd (gRPC asyncio) costs about 200 us of client CPU per
request; this module about 80 us. See docs/clients.md for the figures.

What a caller learns about a failed request is what matters for classification, so the
errors say exactly how far the request got:

- :class:`NotSent`: no byte of the request left this process (connect refused/unreachable/
  timed out, or the connection was already closed before we wrote). The server cannot
  have acted on it.
- :class:`Lost`: the request was written and the connection then died before a complete
  response arrived. The server may or may not have acted on it.
- :class:`ResponseTimeout`: the request was written and no complete response came in
  time. The connection is dropped so a late response can never be read as the answer to
  a later request.

Responses with ``Content-Length`` and ``Transfer-Encoding: chunked`` (with trailers, which
etcd's gateway sends on errors) are understood. Nothing else of HTTP is needed here.
"""

from __future__ import annotations

import asyncio


class HttpError(Exception):
    """Root of this module's errors."""


class NotSent(HttpError):
    """The request never left this process."""


class Lost(HttpError):
    """The request was sent; the connection died before the response was complete."""


class ResponseTimeout(HttpError):
    """The request was sent; no complete response arrived in time."""


class ProtocolViolation(HttpError):
    """The peer sent something that is not an HTTP/1.1 response we can parse."""


class ResponseParser:
    """Incremental HTTP/1.1 response parser. Pure: bytes in, (status, body) out.

    ``feed(data)`` returns the list of responses completed by ``data`` (usually zero or
    one). Raises :class:`ProtocolViolation` on malformed input.
    """

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        done = []
        while True:
            parsed = self._parse_one()
            if parsed is None:
                return done
            done.append(parsed)

    def _parse_one(self) -> tuple[int, bytes] | None:
        buf = self._buf
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = bytes(buf[:head_end]).lower()
        if not head.startswith(b"http/1.") or len(head) < 12:
            raise ProtocolViolation(f"bad status line {bytes(buf[:40])!r}")
        try:
            status = int(head[9:12])
        except ValueError:
            raise ProtocolViolation(f"bad status line {bytes(buf[:40])!r}") from None
        body_start = head_end + 4
        length_at = head.find(b"\r\ncontent-length:")
        if length_at >= 0:
            line_end = head.find(b"\r\n", length_at + 2)
            value = head[length_at + 17 : line_end if line_end >= 0 else len(head)]
            try:
                length = int(value)
            except ValueError:
                raise ProtocolViolation(f"bad content-length {value!r}") from None
            end = body_start + length
            if len(buf) < end:
                return None
            body = bytes(buf[body_start:end])
            del buf[:end]
            return status, body
        if b"\r\ntransfer-encoding: chunked" in head:
            return self._parse_chunked(status, body_start)
        raise ProtocolViolation("response has neither content-length nor chunked encoding")

    def _parse_chunked(self, status: int, pos: int) -> tuple[int, bytes] | None:
        buf = self._buf
        chunks = []
        while True:
            size_end = buf.find(b"\r\n", pos)
            if size_end < 0:
                return None
            size_field = bytes(buf[pos:size_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                raise ProtocolViolation(f"bad chunk size {size_field!r}") from None
            if size == 0:
                # Trailers (possibly none) end with an empty line.
                if buf.startswith(b"\r\n", size_end + 2):
                    end = size_end + 4
                else:
                    trailers_end = buf.find(b"\r\n\r\n", size_end + 2)
                    if trailers_end < 0:
                        return None
                    end = trailers_end + 4
                del buf[:end]
                return status, b"".join(chunks)
            data_end = size_end + 2 + size
            if len(buf) < data_end + 2:
                return None
            chunks.append(bytes(buf[size_end + 2 : data_end]))
            pos = data_end + 2


class _ResponseProtocol(asyncio.Protocol):
    """Feeds received bytes to the parser and completes the one waiting future."""

    def __init__(self) -> None:
        self.parser = ResponseParser()
        self.waiter: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            responses = self.parser.feed(data)
        except ProtocolViolation as e:
            self._fail(Lost(f"protocol violation: {e}"))
            return
        for response in responses:
            waiter, self.waiter = self.waiter, None
            if waiter is None or waiter.done():
                # A response nobody asked for: the stream is out of step; never reuse it.
                self._fail(Lost("unsolicited response"))
                return
            waiter.set_result(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(Lost(f"connection lost: {exc}" if exc else "connection closed by peer"))

    def _fail(self, error: HttpError) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        if self.transport is not None:
            self.transport.close()


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to ``host:port``; (re)connects on demand.

    Not safe for concurrent requests: the owner (one client per logical process) issues
    one at a time. ``close()`` is idempotent and never blocks.
    """

    def __init__(self, host: str, port: int, *, connect_timeout: float = 2.0) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self._proto: _ResponseProtocol | None = None
        self._prefix = f" HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: ".encode()

    @property
    def connected(self) -> bool:
        proto = self._proto
        return (proto is not None and not proto.closed
                and not proto.transport.is_closing())

    async def connect(self) -> None:
        """Open the connection if it is not open. Raises :class:`NotSent` on failure."""
        if self.connected:
            return
        loop = asyncio.get_running_loop()
        try:
            _, proto = await asyncio.wait_for(
                loop.create_connection(_ResponseProtocol, self.host, self.port),
                self.connect_timeout,
            )
        except (OSError, asyncio.TimeoutError) as e:
            reason = "connect timed out" if isinstance(e, asyncio.TimeoutError) else str(e)
            raise NotSent(f"connect to {self.host}:{self.port}: {reason}") from None
        self._proto = proto

    async def post(self, path: bytes, body: bytes, timeout: float) -> tuple[int, bytes]:
        """POST ``body`` to ``path``; returns (status, response body).

        Raises :class:`NotSent`, :class:`Lost` or :class:`ResponseTimeout` (see module doc).
        Cancellation while waiting drops the connection, like a timeout.
        """
        await self.connect()
        proto = self._proto
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        proto.waiter = waiter
        proto.transport.write(b"POST %s%s%d\r\n\r\n%s" % (path, self._prefix, len(body), body))
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        except BaseException:
            # Timeout, loss or cancellation: the stream may still carry this request's
            # answer, so the connection must not serve another request.
            self.close()
            raise
        finally:
            timer.cancel()

    def close(self) -> None:
        proto, self._proto = self._proto, None
        if proto is not None:
            proto.closed = True
            if proto.transport is not None:
                proto.transport.close()


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(ResponseTimeout("no response in time"))
