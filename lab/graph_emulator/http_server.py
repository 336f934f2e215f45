"""The socket side: a threading HTTP/1.1 server (keep-alive) with TLS negotiated per connection."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from graph_emulator.httpio import Request
from graph_emulator.pipeline import Pipeline

log = logging.getLogger("graph_emulator")

MAX_BODY = 50 * 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 refuses bursts of parallel clients

    def __init__(
        self, address: tuple[str, int], pipeline: Pipeline, tls: ssl.SSLContext | None, idle_timeout_s: float
    ) -> None:
        self.pipeline = pipeline
        self.tls = tls
        self.idle_timeout_s = idle_timeout_s
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, so a slow or plain-HTTP client
        # cannot stall accept() for everyone else.
        connection: socket.socket = request
        # Headers and body go out in separate writes; without NODELAY, Nagle holds the body back until the
        # client's delayed ACK (~40 ms per request).
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            try:
                connection.settimeout(self.idle_timeout_s)
                connection = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError) as problem:
                log.debug("TLS handshake with %s failed: %s", client_address, problem)
                return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            super().finish_request(connection, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                connection.close()

    def close_connections(self) -> None:
        """Cut idle keep-alive connections so stop() does not leave threads waiting on them."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    server_version = "Microsoft-IIS/10.0"  # what Graph's front end announces
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # An idle keep-alive connection ends instead of holding its thread forever.
        self.connection.settimeout(self.server.idle_timeout_s)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            self.send_error(413)
            return
        split = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            base_url=self.server.base_url,
        )
        response = self.server.pipeline.handle(request)
        if response.drop:
            # The "lost response": close without a byte, as a reset load balancer would.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)
