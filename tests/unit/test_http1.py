"""HttpConnection against a scripted local server: what a caller learns about how far a
request got (NotSent / Lost / ResponseTimeout), and that a late answer is never read as
the answer to the next request."""

from __future__ import annotations

import asyncio
import socket

import pytest

from faultline.dbs.etcd.http1 import HttpConnection, Lost, NotSent, ResponseTimeout


def ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def serve(behaviour):
    """A server calling ``behaviour(request_body, writer)`` per request; returns (server, port)."""

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                if await behaviour(body, writer) == "close":
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_keep_alive_round_trips():
    async def main():
        async def echo(body, writer):
            writer.write(ok(body))

        server, port = await serve(echo)
        conn = HttpConnection("127.0.0.1", port)
        for i in range(5):
            assert await conn.post(b"/x", b"%d" % i, 2.0) == (200, b"%d" % i)
        conn.close()
        conn.close()
        server.close()

    asyncio.run(main())


def test_refused_connect_is_not_sent():
    async def main():
        with pytest.raises(NotSent):
            await HttpConnection("127.0.0.1", free_port()).post(b"/x", b"{}", 1.0)

    asyncio.run(main())


def test_server_closing_mid_request_is_lost():
    async def main():
        async def hang_up(body, writer):
            return "close"

        server, port = await serve(hang_up)
        with pytest.raises(Lost):
            await HttpConnection("127.0.0.1", port).post(b"/x", b"{}", 2.0)
        server.close()

    asyncio.run(main())


def test_timeout_then_late_answer_is_never_taken_for_the_next_one():
    async def main():
        async def slow_first(body, writer):
            if body == b"first":
                await asyncio.sleep(0.3)
            writer.write(ok(body))

        server, port = await serve(slow_first)
        conn = HttpConnection("127.0.0.1", port)
        with pytest.raises(ResponseTimeout):
            await conn.post(b"/x", b"first", 0.1)
        assert not conn.connected
        # The next request reconnects and gets its own answer.
        assert await conn.post(b"/x", b"second", 2.0) == (200, b"second")
        conn.close()
        server.close()

    asyncio.run(main())


def test_cancellation_drops_the_connection():
    async def main():
        async def never(body, writer):
            await asyncio.sleep(10)

        server, port = await serve(never)
        conn = HttpConnection("127.0.0.1", port)
        task = asyncio.create_task(conn.post(b"/x", b"{}", 5.0))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not conn.connected
        server.close()

    asyncio.run(main())
