"""Streamlit sessions without a browser: the app's own websocket protocol, for benchmarks and the replica test.

``open_page`` reads one page and disconnects; ``LiveSession`` stays connected, reruns with widget values and
runs its fragments' timers, as a browser tab does (the class-mode benchmark).

A session connects to ``/_stcore/stream``, asks for a page with a query string (``BackMsg.rerun_script``)
and reads ``ForwardMsg``s until ``script_finished``; the server's share of a page is then measured on its
own, with no browser competing for the cores. Used by ``benchmark_class.py --server-only`` and
``tests/test_replicas.py``.
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.parse
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class PageRun:
    """One session's page, as the server sent it.

    Attributes:
        seconds: from sending the request to ``script_finished`` (s); None when it never finished.
        charts: figures in the page (Plotly charts and attnviz's heatmap elements); bytes: bytes received.
        problems: texts of error elements and exceptions (a complete page has none).
        finished: the script finished successfully.
    """

    seconds: float | None = None
    charts: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    finished: bool = False


def stream_url(base: str) -> str:
    """``ws://host:port/_stcore/stream`` for an ``http://host:port`` base address."""
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(
        ("wss" if parts.scheme == "https" else "ws", parts.netloc, "/_stcore/stream", "", "")
    )


async def open_page(
    base: str,
    query: dict[str, str],
    timeout: float = 120.0,
    cookie: str | None = None,
    ping_interval: float | None = None,
) -> PageRun:
    """Open one new session on ``base`` with URL parameters ``query`` and read its first complete page.

    Args:
        base: the server's address (``http://127.0.0.1:8501``, or nginx's).
        query: URL parameters, e.g. {"s": "I see her."}.
        timeout: seconds before the page counts as failed.
        cookie: a Cookie header to send (a load balancer's stickiness may hash it).
        ping_interval: send websocket pings this often (s) and drop the session when one is not answered
            in time, as browsers' clients do; None sends none.
    """
    run = PageRun()
    headers = {"Cookie": cookie} if cookie else {}
    start = time.perf_counter()
    try:
        async with websockets.connect(
            stream_url(base),
            subprotocols=["streamlit"],
            max_size=None,
            additional_headers=headers,
            ping_interval=ping_interval,
            ping_timeout=ping_interval,
            open_timeout=timeout,
        ) as socket:
            request = BackMsg()
            request.rerun_script.query_string = urllib.parse.urlencode(query)
            await socket.send(request.SerializeToString())
            deadline = start + timeout
            while True:
                data = await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.perf_counter()))
                run.bytes += len(data)
                message = ForwardMsg()
                message.ParseFromString(data)
                kind = message.WhichOneof("type")
                if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                    element = message.delta.new_element
                    which = element.WhichOneof("type")
                    if which == "plotly_chart" or (
                        which == "bidi_component" and element.bidi_component.component_name == "attnviz.heatmap"
                    ):
                        run.charts += 1
                    elif which == "alert" and element.alert.format == element.alert.ERROR:
                        run.problems.append(element.alert.body[:200])
                    elif which == "exception":
                        run.problems.append(element.exception.message[:200])
                elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    run.seconds, run.finished = time.perf_counter() - start, True
                    return run
    except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as err:
        run.problems.append(f"{type(err).__name__}: {err}"[:200])
    return run


async def open_pages(
    base: str,
    queries: list[dict[str, str]],
    timeout: float = 120.0,
    cookies: list[str | None] | None = None,
    ping_interval: float | None = None,
) -> list[PageRun]:
    """``open_page`` for every query at once (one session each), in the queries' order."""
    cookies = cookies or [None] * len(queries)
    return list(
        await asyncio.gather(*(open_page(base, q, timeout, c, ping_interval) for q, c in zip(queries, cookies)))
    )


class LiveSession:
    """One Streamlit session kept open, as a browser tab keeps it: it reruns its page with widget values, runs
    its fragments' timers (``st.fragment(run_every=…)``: the browser's client sends those reruns) and keeps
    what its last runs drew. Used by the class-mode benchmark (``benchmark_class_mode.py``).

    Attributes:
        texts: text of the markdown, alerts and captions drawn since the last full run began.
        widgets: {widget key: element id} of the keyed widgets drawn; widget_fragments: {widget key: the id of
            the fragment it is drawn in, '' for none}.
        runs: script runs finished (full and fragment).
    """

    def __init__(self, base: str, query: dict[str, str], poll: bool = True, cookie: str | None = None):
        self.base, self.query_string, self.poll = base, urllib.parse.urlencode(query), poll
        self.cookie = cookie  # a Cookie header (nginx keeps a session on one replica by hashing it)
        self.texts: list[str] = []
        self.widgets: dict[str, str] = {}
        self.widget_fragments: dict[str, str] = {}  # widget key → the fragment it is drawn in ('' for none)
        self.pages: dict[str, str] = {}  # url path → page script hash
        self.page_hash = ""
        self.timers: dict[str, float] = {}  # fragment id → interval (s)
        self.runs = 0
        self.running = False
        self._fragment_run = False  # the run in progress reruns one fragment, not the page
        self.socket = None
        self._tasks: list[asyncio.Task] = []
        self._finished = asyncio.Event()

    async def open(self, timeout: float = 120.0) -> None:
        """Connect, ask for the first page and wait until its run finished."""
        self.socket = await websockets.connect(
            stream_url(self.base),
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=timeout,
            ping_interval=None,
            additional_headers={"Cookie": self.cookie} if self.cookie else {},
        )
        self._tasks.append(asyncio.create_task(self._read()))
        await self.rerun(timeout=timeout)
        if self.poll:
            self._tasks.append(asyncio.create_task(self._timers()))

    async def close(self) -> None:
        """Stop the timers and the connection."""
        for task in self._tasks:
            task.cancel()
        if self.socket is not None:
            await self.socket.close()

    async def rerun(
        self,
        widgets: dict[str, object] | None = None,
        page: str | None = None,
        fragment: str = "",
        timeout: float = 120.0,
        auto: bool = False,
    ) -> None:
        """Rerun the page (or ``fragment``) with widget values {key: value} and wait until the run finished.

        A value True is a button's click; a list of strings a pills choice; a string a text input's value.
        Widgets drawn inside a fragment rerun that fragment only, as a browser's click does.
        page: a page's address to go to (its script hash is looked up).
        """
        inside = {self.widget_fragments.get(key, "") for key in widgets or {}}
        if not fragment and len(inside) == 1:
            fragment = inside.pop()
        request = BackMsg()
        state = request.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.pages.get(page, "") if page else self.page_hash
        state.fragment_id, state.is_auto_rerun = fragment, auto
        for key, value in (widgets or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widgets[key]
            if value is True:
                widget.trigger_value = True
            elif isinstance(value, list):
                widget.string_array_value.data.extend(value)
            else:
                widget.string_value = str(value)
        self._finished.clear()
        self.running, self._fragment_run = True, bool(fragment)
        await self.socket.send(request.SerializeToString())
        await asyncio.wait_for(self._finished.wait(), timeout)

    def text(self) -> str:
        """Everything the page's text elements say, one line each."""
        return "\n".join(self.texts)

    async def _timers(self) -> None:
        """The browser's fragment timers: an auto-rerun of each timed fragment every interval, when idle."""
        due: dict[str, float] = {}
        while True:
            await asyncio.sleep(0.1)
            now = time.perf_counter()
            for fragment, interval in list(self.timers.items()):
                if self.running:
                    break
                if now >= due.setdefault(fragment, now + interval):
                    due[fragment] = now + interval
                    try:
                        await self.rerun(fragment=fragment, auto=True)
                    except TimeoutError:
                        continue

    async def _read(self) -> None:
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.socket.recv())
            kind = message.WhichOneof("type")
            if kind == "new_session" and not self._fragment_run:  # a full run: its page starts afresh
                self.timers.clear()
                self.texts = []
            elif kind == "navigation":  # st.navigation's pages, and the one this run shows
                self.page_hash = message.navigation.page_script_hash
                self.pages = {p.url_pathname: p.page_script_hash for p in message.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.timers[message.auto_rerun.fragment_id] = message.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                self.timers.clear()
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._element(message.delta.new_element, message.delta.fragment_id)
            elif kind == "script_finished":
                if message.script_finished in (
                    ForwardMsg.FINISHED_SUCCESSFULLY,
                    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                ):
                    self.runs += 1
                    self.running = False
                    self._finished.set()

    def _element(self, element, fragment: str) -> None:
        which = element.WhichOneof("type")
        body = getattr(element, which)
        if which in ("markdown", "alert", "heading"):
            self.texts.append(getattr(body, "body", ""))
        element_id = getattr(body, "id", "")
        if element_id and "-" in element_id and element_id.startswith("$$ID"):
            key = element_id.split("-", 2)[-1]
            if key and key != "None":
                self.widgets[key] = element_id
                self.widget_fragments[key] = fragment


if __name__ == "__main__":  # warm a server: `python scripts/protocol_sessions.py http://127.0.0.1:8501`
    page = asyncio.run(open_page(sys.argv[1], {}, timeout=300))
    print(
        f"{sys.argv[1]}: first page {page.seconds or float('nan'):.1f} s, {page.charts} heatmaps"
        + (f", {page.problems[0]}" if page.problems else "")
    )
    sys.exit(0 if page.finished else 1)
