"""A loopback TCP proxy between Kafka clients and the broker that can reset every connection.

Tansu keeps its log in memory, so it cannot be restarted under a running worker; cutting the
network in front of it instead gives the clients what a broker restart or a network failure
gives them: every socket reset (RST, not a polite FIN) and connections refused for a while. The
broker must advertise the proxy's port (``LocalBroker.start(advertised_port=...)``): clients
reconnect to the advertised address, which would otherwise bypass the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

_CHUNK = 64 * 1024


class ResettingProxy:
    """``upstream_port`` may be set after ``start``: the broker must know the proxy's port first."""

    def __init__(self, upstream_port: int = 0, host: str = "127.0.0.1") -> None:
        self._host = host
        self.upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.connections = 0  # accepted so far
        self.reset_sockets = 0  # sockets cut by ``cut``

    async def start(self, port: int = 0) -> int:
        """Listen on ``port`` (0: any free one; again after ``cut``); returns the port."""
        # reuse_address: the port is taken again at once, whatever is left in TIME_WAIT.
        self._server = await asyncio.start_server(self._accept, self._host, port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> int:
        """Stop listening (new connections are refused) and reset every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        writers, self._writers = self._writers, set()
        for writer in writers:
            _reset(writer)
        self.reset_sockets += len(writers)
        return len(writers)

    async def heal(self) -> None:
        await self.start(self.port)

    async def close(self) -> None:
        await self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream = await asyncio.open_connection(self._host, self.upstream_port)
        except OSError:
            _reset(client)
            return
        pair = {client, upstream}
        self._writers |= pair
        pumps = [
            asyncio.create_task(_pump(client_reader, upstream)),
            asyncio.create_task(_pump(upstream_reader, client)),
        ]
        self._tasks.update(pumps)
        try:
            # Either side closing ends both: a half-open Kafka connection is of no use to anyone.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            self._tasks.difference_update(pumps)
            for writer in pair:
                self._writers.discard(writer)
                writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST: SO_LINGER 0 makes the kernel drop the connection instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
