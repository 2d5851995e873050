"""A real upload server for the end-to-end tests: pypiserver on 127.0.0.1, in a thread.

pypiserver is what the upload tests need from an index: it accepts twine's uploads, never
overwrites, answers twine's User-Agent with 400 on a duplicate filename, and serves PEP 503
pages with ``#sha256=`` digests. It runs in-process (its WSGI app under wsgiref), which
starts in ~20 ms instead of ~350 ms for a child process.

``refuse`` makes the server refuse chosen uploads (by their position among the POSTs) the
way an index does, so that a test can produce a refusal in the middle of a batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class UploadServer:
    """pypiserver serving (and receiving into) ``packages``; ``url`` is the upload URL."""

    def __init__(self, packages: Path, *, htpasswd: Path | None = None) -> None:
        import pypiserver

        self.packages = packages
        packages.mkdir(parents=True, exist_ok=True)
        if htpasswd is None:
            app = pypiserver.app(roots=[str(packages)], authenticate=[], password_file=".",
                                 disable_fallback=True)
        else:
            app = pypiserver.app(roots=[str(packages)], authenticate=["update"],
                                 password_file=str(htpasswd), disable_fallback=True)
        self._app = app
        self.posts = 0
        self.refused: set[int] = set()
        self.refusal = ("400 File too large", b"File too large. Limit for project is 1 MB.")
        self._server: WSGIServer | None = None

    def refuse(self, positions: Iterable[int],
               status: str = "400 File too large", body: bytes = b"File too large.") -> None:
        """Refuse the uploads at these 1-based positions (counted over this server's life)."""
        self.refused = set(positions)
        self.refusal = (status, body)

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "POST":
            self.posts += 1
            if self.posts in self.refused:
                status, body = self.refusal
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                start_response(status, [("Content-Type", "text/plain"),
                                        ("Content-Length", str(len(body)))])
                return [body]
        return self._app(environ, start_response)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/"

    @property
    def stored(self) -> list[str]:
        return sorted(p.name for p in self.packages.iterdir() if p.is_file())

    def __enter__(self) -> UploadServer:
        self._server = make_server("127.0.0.1", 0, self._wsgi, handler_class=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
