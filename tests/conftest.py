"""Shared fixtures: a real HTTP server on 127.0.0.1 whose answers each test scripts, and paths."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import tarfile
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        server = self.server
        with server.lock:
            server.hits[self.path] = server.hits.get(self.path, 0) + 1
            plan = server.routes.get(self.path, [("status", 404)])
            # each request consumes the next planned answer; the last one repeats
            answer = plan.pop(0) if len(plan) > 1 else plan[0]
        kind = answer[0]
        if kind == "status":
            self.send_error(answer[1])
            return
        body = answer[1]
        if kind == "stall":
            time.sleep(answer[2])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # clients that give up (timeouts) are expected
        pass


class FileServer:
    """Serve scripted answers per path: ("ok", bytes), ("status", code), ("truncate", bytes), ("stall", bytes, s)."""

    def __init__(self):
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.routes, self.httpd.hits, self.httpd.lock = {}, {}, threading.Lock()
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *answers) -> str:
        self.httpd.routes[path] = list(answers)
        return self.base + path

    def hits(self, path: str) -> int:
        return self.httpd.hits.get(path, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tarball(members: dict[str, bytes], *, level: int = 9, mtime: int = 0) -> bytes:
    """A gzipped tar archive holding `members` (archive path -> bytes), compressed at `level`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=level, mtime=mtime)
