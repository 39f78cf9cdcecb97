"""Streamlit sessions without a browser: the app's own websocket protocol, for benchmarks and the replica test.

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
        charts: Plotly figures in the page; bytes: bytes received.
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
    return urllib.parse.urlunsplit(("wss" if parts.scheme == "https" else "ws", parts.netloc, "/_stcore/stream", "", ""))


async def open_page(base: str, query: dict[str, str], timeout: float = 120.0, cookie: str | None = None,
                    ping_interval: float | None = None) -> PageRun:
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
        async with websockets.connect(stream_url(base), subprotocols=["streamlit"], max_size=None,
                                      additional_headers=headers, ping_interval=ping_interval,
                                      ping_timeout=ping_interval, open_timeout=timeout) as socket:
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
                    if which == "plotly_chart":
                        run.charts += 1
                    elif which == "alert" and element.alert.format == element.alert.ERROR:
                        run.problems.append(element.alert.body[:200])
                    elif which == "exception":
                        run.problems.append(element.exception.message[:200])
                elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    run.seconds, run.finished = time.perf_counter() - start, True
                    return run
    except (TimeoutError, asyncio.TimeoutError, OSError, websockets.exceptions.WebSocketException) as err:
        run.problems.append(f"{type(err).__name__}: {err}"[:200])
    return run


async def open_pages(base: str, queries: list[dict[str, str]], timeout: float = 120.0,
                     cookies: list[str | None] | None = None, ping_interval: float | None = None) -> list[PageRun]:
    """``open_page`` for every query at once (one session each), in the queries' order."""
    cookies = cookies or [None] * len(queries)
    return list(await asyncio.gather(*(open_page(base, q, timeout, c, ping_interval) for q, c in zip(queries, cookies))))


if __name__ == "__main__":  # warm a server: `python scripts/protocol_sessions.py http://127.0.0.1:8501`
    page = asyncio.run(open_page(sys.argv[1], {}, timeout=300))
    print(f"{sys.argv[1]}: first page {page.seconds or float('nan'):.1f} s, {page.charts} heatmaps"
          + (f", {page.problems[0]}" if page.problems else ""))
    sys.exit(0 if page.finished else 1)
