"""The web server of `warroom serve`: textual-serve runs `warroom view` for each browser
that opens the link, behind a token.

The page (`serve_page.html`) and the websocket that carries the view both ask for the
token printed at start (compared in constant time); without it a request is refused with
403 and no view is started. At most `max_viewers` views run at once. The page names the
incident and says the view is read-only and live; the view itself refuses every change
(`tui.viewer`).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import socket
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

PAGE = "serve_page.html"


def new_token() -> str:
    """A fresh token for the link: 144 random bits."""
    return secrets.token_urlsafe(18)


class ViewServer(Server):
    """textual-serve's server for `command` (a `warroom view`), with the token, our page and
    a cap on the views running at once; no download route."""

    def __init__(self, command: str, *, host: str, port: int, token: str, ref: str, max_viewers: int) -> None:
        super().__init__(command, host=host, port=port, title=f"warroom · {ref}",
                         templates_path=Path(__file__).parent)
        self.token = token
        self.ref = ref
        self.max_viewers = max_viewers
        self.viewers = 0
        self.websockets: set[web.WebSocketResponse] = set()
        """The views' websockets, closed at shutdown (else Ctrl+C waits on each browser)."""

    @property
    def link(self) -> str:
        """What to open: the page, with the token."""
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host  # (every address)
        shown_host = f"[{host}]" if ":" in host else host
        return f"http://{shown_host}:{self.port}/?token={self.token}"

    def _has_token(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every view's websocket: its view quits and its browser says the view has ended."""
        for websocket in list(self.websockets):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"warroom serve stopped")

    async def on_startup(self, app: web.Application) -> None:
        """(textual-serve prints its logo and the command here: the link is printed once listening.)"""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, for a request with the token; 403 otherwise."""
        if not self._has_token(request.query.get("token")):
            raise web.HTTPForbidden(text="This view needs the link printed by `warroom serve`, with its token.\n")
        if self.viewers >= self.max_viewers:  # (said here: a page whose view is refused just says it ended)
            raise web.HTTPServiceUnavailable(text=self._full())
        context: dict[str, Any] = {
            "ref": self.ref,
            # The page completes it from its own address (wss: behind an HTTPS proxy), not
            # from the Host header the request came with (a proxy's upstream, or anything).
            "websocket_path": f"/ws/{self.token}",
            "static_url": "/static/",
            "font_size": max(8, min(32, to_int(request.query.get("fontsize", ""), 16))),
        }
        response = aiohttp_jinja2.render_template(PAGE, request, context)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the page's address
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """The view, for a websocket with the token, while fewer than `max_viewers` run."""
        if not self._has_token(request.match_info.get("token")):
            raise web.HTTPForbidden(text="wrong or missing token\n")
        if not web.WebSocketResponse().can_prepare(request).ok:  # (textual-serve logs a long traceback)
            raise web.HTTPBadRequest(text="This address is the view's websocket: open the page (the link printed "
                                          "by `warroom serve`) instead.\n")
        if self.viewers >= self.max_viewers:
            raise web.HTTPServiceUnavailable(text=self._full())
        self.viewers += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.viewers -= 1

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        self.websockets.add(websocket)
        try:
            await super()._process_messages(websocket, app_service)
        finally:
            self.websockets.discard(websocket)

    def _full(self) -> str:
        running = f"{self.max_viewers} view is" if self.max_viewers == 1 else f"{self.max_viewers} views are"
        return f"{running} running, as many as this server allows at once: try again later.\n"

    def serve(self, debug: bool = False) -> None:
        """Listen until Ctrl+C (or SIGTERM); print the link once listening."""
        import signal

        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.add_signal_handler(signal.SIGINT, self.request_exit)
        loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                    print=lambda *_: self._listening(), access_log=None)

    def _listening(self) -> None:
        print(f"Serving {self.ref} read-only and live. Open:\n\n  {self.link}\n\nCtrl+C stops.", flush=True)
