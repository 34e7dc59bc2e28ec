"""Hardening fixtures: the loopback file server of tests/conftest.py, taught a few more ways to fail."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from tests.conftest import FileServer, _Handler, _QuietServer


class _FaultyHandler(_Handler):
    """Also: ("reset", bytes) sends part of the body, then resets the connection (RST, not FIN);
    ("hang", bytes) sends part of the body, then stalls until the server closes;
    ("slow", bytes, pieces, seconds) sends the body in `pieces` parts, `seconds` apart."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        server = self.server
        with server.lock:
            plan = server.routes.get(self.path, [("status", 404)])
            answer = plan[0]
            ours = answer[0] in ("reset", "hang", "slow")
            if ours:  # the base handler counts and consumes the other answers itself
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if len(plan) > 1:
                    plan.pop(0)
        if not ours:
            return super().do_GET()
        kind, body = answer[0], answer[1]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "slow":
            pieces, seconds = answer[2], answer[3]
            size = -(-len(body) // pieces)
            for i in range(0, len(body), size):
                self.wfile.write(body[i : i + size])
                self.wfile.flush()
                if server.closing.wait(seconds):
                    return
            return
        self.wfile.write(body[: len(body) // 3])
        self.wfile.flush()
        if kind == "hang":
            server.closing.wait(60)
            self.close_connection = True
            return
        # SO_LINGER with a zero timeout: close() sends RST, so the client sees "connection reset"
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class FaultyFileServer(FileServer):
    def __init__(self):
        self.httpd = _QuietServer(("127.0.0.1", 0), _FaultyHandler)
        self.httpd.routes, self.httpd.hits, self.httpd.lock = {}, {}, threading.Lock()
        self.httpd.closing = threading.Event()
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.closing.set()
        super().close()


@pytest.fixture
def faulty_server():
    server = FaultyFileServer()
    yield server
    server.close()
