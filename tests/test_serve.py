"""`warroom serve` in a real browser: Debian's Chromium, driven by Playwright, opens the
link the server prints, and the view it gets is read the way the page's terminal (xterm.js)
draws it: the bytes the browser received over the websocket, played into a terminal
emulator (pyte) at the size the page asked for. The server is a real process on the demo
database; lines are logged by the CLI in another process."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest
from playwright.sync_api import Browser, Page, WebSocket, sync_playwright

from storage import live
from storage.db import Store

WARROOM = str(Path(sys.executable).with_name("warroom"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # (Debian's package; `make test` installs it)
CHROMIUM_ARGS = [  # no sandbox as root; no calls out of this machine (the network is closed)
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serving:
    """`warroom serve` running, with the link it printed."""

    def __init__(self, db: Path, ref: str, *args: str) -> None:
        self.db = db
        self.port = free_port()
        self.process = subprocess.Popen(
            [WARROOM, "--db", str(db), "serve", ref, "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.link = self._wait_for_link()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.put(line)

    def _wait_for_link(self) -> str:
        printed = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                printed += self.output.get(timeout=1)
            except queue.Empty:
                continue
            found = re.search(r"http://\S+", printed)
            if found:
                return found.group(0)
        raise AssertionError(f"no link printed: {printed!r}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


@pytest.fixture
def served(demo: tuple[Store, str], tmp_path: Path) -> Iterator[tuple[Serving, Store, str]]:
    store, ref = demo
    serving = Serving(tmp_path / "demo.db", ref)
    try:
        yield serving, store, ref
    finally:
        assert serving.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Terminal:
    """What the page's terminal shows: the websocket's bytes played into an emulator."""

    def __init__(self, page: Page) -> None:
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        page.on("websocket", self._follow)

    def _follow(self, websocket: WebSocket) -> None:
        websocket.on("framesent", self._sent)
        websocket.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        message = json.loads(payload)
        if message[0] == "resize":
            with self.lock:
                self.screen.resize(message[1]["height"], message[1]["width"])

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):  # (text frames carry textual-serve's own notes)
            with self.lock:
                self.stream.feed(payload)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_for(self, page: Page, wanted: str, seconds: float = 15.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = self.text()
            if wanted in shown:
                return shown
            page.wait_for_timeout(100)
        raise AssertionError(f"{wanted!r} not on the page's terminal:\n{self.text()}")


def watching(browser: Browser, serving: Serving, store: Store, ref: str) -> tuple[Page, Terminal]:
    """A page open on the served link, once its terminal shows the incident's title."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    terminal = Terminal(page)
    page.goto(serving.link)
    terminal.wait_for(page, live.incident_view(store, ref).title)
    return page, terminal


def views_of(serving: Serving) -> list[str]:
    """The process ids of the views the server runs (one per browser)."""
    return subprocess.run(["pgrep", "-P", str(serving.process.pid)], capture_output=True, text=True).stdout.split()


def test_the_page_shows_the_incident_read_only_and_lines_logged_elsewhere_arrive(
    demo: tuple[Store, str], tmp_path: Path, browser: Browser
) -> None:
    """One browser watching, from the page to the server's stop (one server and one view for
    all the steps: each costs seconds of CPU)."""
    store, ref = demo
    title = live.incident_view(store, ref).title
    serving = Serving(tmp_path / "demo.db", ref, "--max-viewers", "1")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        terminal = Terminal(page)
        page.goto(serving.link)
        assert "read-only, live" in page.title()
        notice = page.inner_text("#notice")
        assert "Read-only" in notice and "live" in notice and ref in notice
        shown = terminal.wait_for(page, title)
        assert "Read-only · live" in shown

        logged = subprocess.run([WARROOM, "--db", str(serving.db), "log", ref, "canary green in eu-west"],
                                capture_output=True, text=True, timeout=60)
        assert logged.returncode == 0, logged.stderr
        started = time.monotonic()
        terminal.wait_for(page, "canary green in eu-west", seconds=10)
        assert time.monotonic() - started < 10

        # Keys typed in the page change nothing: there is no input, and actions are refused.
        before = live.incident_view(store, ref).change_count
        page.locator("#terminal").click()
        page.keyboard.type("this must not be logged")
        page.keyboard.press("Enter")
        page.keyboard.press("F2")
        terminal.wait_for(page, "Read-only view: nothing can be changed")
        page.wait_for_timeout(500)
        assert live.incident_view(store, ref).change_count == before
        assert "this must not be logged" not in terminal.text()

        # At --max-viewers the page itself says so (not a view that opens and ends at once).
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(serving.link, timeout=10)
        assert refused.value.code == 503
        assert "1 view is running" in refused.value.read().decode()

        # Stopping with a browser watching is prompt (it waited on the websocket: 18 s), the
        # page says the view has ended, and no view is left running.
        views = views_of(serving)
        assert views
        started = time.monotonic()
        assert serving.stop() == 0
        assert time.monotonic() - started < 10
        page.wait_for_function("document.body.classList.contains('-closed')", timeout=10000)
        for pid in views:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        page.close()
    finally:
        serving.stop()


def test_without_the_token_nothing_is_served_and_no_view_starts(served: tuple[Serving, Store, str]) -> None:
    serving, _store, _ref = served
    base = f"http://127.0.0.1:{serving.port}"
    for path in ("/", "/?token=", "/?token=wrong", "/ws/wrong"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + path, timeout=10)
        assert refused.value.code == 403, path
    with urllib.request.urlopen(serving.link, timeout=10) as page:
        assert page.status == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert "Read-only" in page.read().decode()
    assert views_of(serving) == []


def test_serve_refuses_an_unknown_incident_before_listening(demo: tuple[Store, str], tmp_path: Path) -> None:
    refused = subprocess.run([WARROOM, "--db", str(tmp_path / "demo.db"), "serve", "inc-nope", "--port",
                              str(free_port())], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert "inc-nope" in refused.stderr and "http://" not in refused.stdout


def test_the_page_builds_the_websocket_address_from_its_own_not_from_the_host_header(
    served: tuple[Serving, Store, str]
) -> None:
    """Behind an HTTPS proxy the page is https (the websocket must be wss) and the Host the
    proxy sends may be its upstream's: the page takes the address it was opened at."""
    serving, _store, _ref = served
    request = urllib.request.Request(serving.link, headers={"Host": "upstream.example:8443"})
    with urllib.request.urlopen(request, timeout=10) as page:
        shown = page.read().decode()
    assert "upstream.example" not in shown
    assert "window.location.host" in shown and 'data-session-websocket-path="/ws/' in shown


def test_a_port_in_use_or_an_unknown_host_is_a_clear_message(demo: tuple[Store, str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for host, said in (("127.0.0.1", "address already in use"), ("no-such-host.invalid", "no-such-host.invalid")):
            refused = subprocess.run([WARROOM, "--db", str(tmp_path / "demo.db"), "serve", "--host", host,
                                      "--port", port], capture_output=True, text=True, timeout=60)
            assert refused.returncode == 1
            assert said in refused.stderr and port in refused.stderr and "Traceback" not in refused.stderr


def test_the_websocket_address_opened_as_a_page_is_a_clear_refusal_not_a_traceback(
    served: tuple[Serving, Store, str]
) -> None:
    serving, _store, _ref = served
    token = serving.link.rsplit("token=", 1)[1]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{serving.port}/ws/{token}", timeout=10)
    assert refused.value.code == 400 and "the page" in refused.value.read().decode()
    time.sleep(0.5)
    printed = "".join(serving.output.queue)
    assert "Traceback" not in printed and token not in printed.replace(serving.link, "")


def test_a_killed_server_leaves_no_view_running(demo: tuple[Store, str], tmp_path: Path, browser: Browser) -> None:
    """SIGKILL (or a crash) gives no chance to stop the views: each leaves once its server is gone."""
    store, ref = demo
    serving = Serving(tmp_path / "demo.db", ref)
    try:
        page, _terminal = watching(browser, serving, store, ref)
        views = views_of(serving)
        assert views
    finally:
        serving.process.kill()
        serving.process.wait(timeout=20)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in views):
        time.sleep(0.2)
    assert not [pid for pid in views if Path(f"/proc/{pid}").exists()]
    page.close()
