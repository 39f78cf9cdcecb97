"""A class storm from several processes against one class store: concurrent publishes, a class of students
answering at once, and one student sending many answers at once. Prints what the store kept.

    python scripts/class_storm.py [--url URL] [--processes 6] [--students 30] [--publishes 40]

URL: a SQLAlchemy database URL (default: a new SQLite file in a temporary folder). The same functions run in
tests/test_classroom.py on SQLite and PostgreSQL. Each process opens its own ``ClassStore`` (its own engine and
connections), as replicas of the app do.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.classroom.store import ClassError, ClassStore, Question, TooFast  # noqa: E402

QUESTION = Question("en-fr-additive", "I see her.", 2, "vois", ("I", "see", "her", "."), (0.1, 0.7, 0.15, 0.05))


_STORES: dict[str, ClassStore] = {}


def _store(url: str) -> ClassStore:
    """This process's store for ``url`` (opened once, as an app replica does)."""
    if url not in _STORES:
        _STORES[url] = ClassStore(url)
    return _STORES[url]


def _open(url: str) -> None:
    _store(url)


def _publish(job: tuple[str, str, str, int]) -> int:
    url, code, key, k = job
    return _store(url).publish(code, key, "compare", {"s": f"Sentence number {k}."}, "")


def _send(store: ClassStore, code: str, sid: str, choice: int) -> str:
    """One answer; returns "stored", "too fast" or the refusal's class name."""
    try:
        store.answer(code, sid, QUESTION.key, choice)
        return "stored"
    except TooFast:
        return "too fast"
    except ClassError as err:
        return type(err).__name__


def _answer_all(job: tuple[str, str, list[tuple[str, int]], float]) -> list[str]:
    """This process's share of the answers, each in a thread of its own, all sent at ``start`` (Unix seconds)."""
    url, code, answers, start = job
    store = _store(url)
    time.sleep(max(0.0, start - time.time()))
    with ThreadPoolExecutor(len(answers)) as threads:
        return list(threads.map(lambda a: _send(store, code, *a), answers))


def _fire(pool, url: str, code: str, answers: list[tuple[str, int]], processes: int) -> tuple[list[str], float]:
    """Send ``answers`` [(sid, choice)] at the same moment from ``processes`` processes.

    Returns:
        (their outcomes, seconds from the moment they were sent until the last was answered).
    """
    start = time.time() + 1.0
    shares = [answers[k::processes] for k in range(processes)]
    outcomes = [o for share in pool.map(_answer_all, [(url, code, s, start) for s in shares if s]) for o in share]
    return outcomes, time.time() - start


def storm(url: str, processes: int = 6, students: int = 30, publishes: int = 40) -> dict:
    """Run the three storms against a new class in ``url``.

    Returns:
        {"revisions": revisions the concurrent publishes returned, "final_revision": the class's revision after,
         "answers": outcomes of the class's students (one answer each), "stored": answers the store counts,
         "one_student": outcomes of one student's answers sent at once, "one_student_seconds": how long
         those took to be answered (the flood limit lets one answer in per MIN_ANSWER_SECONDS of it)}.
    """
    store = ClassStore(url)
    code, key = store.start("compare", {}, "")
    store.ask(code, key, QUESTION)
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pool.map(_open, [url] * processes)  # each worker opens the store once before the storm
        revisions = pool.map(_publish, [(url, code, key, k) for k in range(publishes)])
        sids = [store.join(code) for _ in range(students)]
        answers, _ = _fire(pool, url, code, [(sid, k % 4) for k, sid in enumerate(sids)], processes)
        time.sleep(1.0)  # past the flood limit of the class's first answers
        one, seconds = _fire(pool, url, code, [(sids[0], k % 4) for k in range(students)], processes)
    return {
        "revisions": revisions,
        "final_revision": store.current(code).revision,
        "answers": answers,
        "stored": store.tally(code, QUESTION.key).total,
        "one_student": one,
        "one_student_seconds": seconds,
    }


def main() -> None:
    """Print the storm's figures for one database."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: a new SQLite file)")
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--publishes", type=int, default=40)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp(prefix='attnviz-storm-')}/classes.sqlite"
    began = time.perf_counter()
    result = storm(url, args.processes, args.students, args.publishes)
    revisions = result["revisions"]
    print(f"database: {url.split('://')[0]}; {args.processes} processes")
    print(
        f"publishes: {len(revisions)} at once → {len(set(revisions))} distinct revisions "
        f"(2..{max(revisions)}), final revision {result['final_revision']}"
    )
    print(
        f"a class of {args.students} answering at once: {result['answers'].count('stored')} stored, "
        f"the store counts {result['stored']}"
    )
    one = result["one_student"]
    print(
        f"one student sending {len(one)} answers at once: {one.count('stored')} stored, "
        f"{one.count('too fast')} refused as too fast (all answered within {result['one_student_seconds']:.2f} s)"
    )
    print(f"{time.perf_counter() - began:.1f} s in all")


if __name__ == "__main__":
    main()
