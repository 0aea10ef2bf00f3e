"""Pure work spread over the machine's cores, results in the order of the inputs.

For work where each item stands alone (a form to write, a returned file to read and check):
worker processes compute, the caller keeps every ledger write and takes the results in input
order, so a parallel run leaves the same ledger (and the same files) as a serial one. Small
batches stay in the calling process: starting workers costs more than it saves.

Workers are forked from a single-threaded caller (nothing to import again, and a script
without a ``__main__`` guard works); a caller holding threads (the scheduler service, a
test's SMTP server) gets ``forkserver`` workers instead, as a forked copy would inherit the
other threads' locks in an unknown state.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

MIN_ITEMS_PER_WORKER = 24  # fewer items than this per extra process: stay serial

_shared: Any = None  # what every call in a worker process shares (set once per worker)


def cores() -> int:
    """Processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_count(items: int, workers: int | None = None) -> int:
    """Processes for ``items`` items: ``workers`` when given (1 = serial), else one per
    core as long as each gets at least ``MIN_ITEMS_PER_WORKER`` items."""
    if workers is not None:
        return max(1, min(workers, items))
    return max(1, min(cores(), items // MIN_ITEMS_PER_WORKER))


def _init(shared: Any, parent: int | None) -> None:
    global _shared
    _die_with(parent)
    _shared = shared


def _die_with(parent: int | None) -> None:
    """A worker ends when its caller is killed: left over, it would hold the caller's
    output pipes open and keep writing files nobody records (Linux: PR_SET_PDEATHSIG). A
    ``forkserver`` worker's parent is the server, which ends with the caller."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool notices a dead caller itself
        return
    if parent is not None and os.getppid() != parent:  # the caller died before the line above
        os._exit(1)


def _call(fn: Callable[[Any, Any], Any], chunk: list) -> list:
    return [fn(_shared, item) for item in chunk]


def ordered_map(
    fn: Callable[[Any, Any], Any],
    shared: Any,
    items: Iterable[Any],
    *,
    count: int,
    workers: int | None = None,
    chunk: int = 8,
    window: int | None = 3,
) -> Iterator[Any]:
    """``fn(shared, item)`` for each item, yielded in input order.

    ``fn`` must be a module-level function and ``shared``/items picklable: ``shared`` is
    sent once to each worker. ``count`` is the number of items (to size the pool). At most
    ``window`` chunks per worker are in flight, so memory stays bounded however many items
    (None: all are handed out at once, for small results the caller takes while doing
    other work: the workers never wait for it); an exception in ``fn`` is raised here, at its item. A small batch goes in smaller
    chunks (at least 8 a worker), so that no worker is left with the last big chunk
    while the others idle.
    """
    n = worker_count(count, workers)
    if n <= 1:
        for item in items:
            yield fn(shared, item)
        return
    chunk = max(1, min(chunk, count // (8 * n)))
    import ctypes  # noqa: F401 - for the workers' _die_with: imported once, here
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    items = iter(items)
    # the first item here, before the workers are forked: the lazy imports and per-process
    # caches it fills (templates, a workbook's fixed parts) are then inherited, not paid
    # again in every worker
    for item in items:
        first = [fn(shared, item)]
        break
    else:
        return
    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single else "forkserver")
    parent = os.getpid() if single else None
    with ProcessPoolExecutor(
        n, mp_context=context, initializer=_init, initargs=(shared, parent)
    ) as pool:
        pending: deque = deque([first])  # results in order: lists done here, then futures

        def results() -> list:
            head = pending.popleft()
            return head if isinstance(head, list) else head.result()

        batch: list = []
        for item in items:
            batch.append(item)
            if len(batch) == chunk:
                pending.append(pool.submit(_call, fn, batch))
                batch = []
                while window is not None and len(pending) > window * n:
                    yield from results()
        if batch:
            pending.append(pool.submit(_call, fn, batch))
        while pending:
            yield from results()


def in_background(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """``fn(*args)`` computed by a forked copy of this process while the caller goes on;
    returns a function that gives its result (or raises its exception). The result comes
    back pickled; anything else going wrong in the copy, it is computed here when asked
    for. With one core, threads running (a forked copy would inherit their locks in an
    unknown state) or no ``fork``, it is computed here from the start (when asked for)."""
    if not _can_fork():
        return lambda: fn(*args)
    parent = os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: compute, send, leave without the caller's clean-up
        try:
            os.close(r)
            _die_with(parent)
            _send(w, fn, args)
        finally:
            os._exit(0)
    os.close(w)
    return _receiver(r, pid, fn, args)


def _can_fork() -> bool:
    import threading

    return cores() >= 2 and threading.active_count() == 1 and hasattr(os, "fork")


def _send(w: int, fn: Callable[..., Any], args: tuple) -> None:
    """In the copy: ``fn(*args)`` (or its exception) pickled into ``w``; nothing when it
    cannot be pickled (the caller then computes it)."""
    import pickle

    try:
        outcome: tuple[bool, Any] = (True, fn(*args))
    except Exception as exc:  # noqa: BLE001 - handed to the caller
        outcome = (False, exc)
    try:
        payload = pickle.dumps(outcome)
    except Exception:  # noqa: BLE001 - not picklable: the caller computes it
        payload = b""
    with os.fdopen(w, "wb") as out:
        out.write(payload)


def _receiver(r: int, pid: int, fn: Callable[..., Any], args: tuple) -> Callable[[], Any]:
    def result() -> Any:
        import pickle

        with os.fdopen(r, "rb") as src:
            payload = src.read()
        os.waitpid(pid, 0)
        if not payload:
            return fn(*args)
        ok, value = pickle.loads(payload)
        if ok:
            return value
        raise value

    return result


class Warmed:
    """A forked copy of this process that runs ``warm()`` now (imports, say) and then the one
    call ``submit`` hands it: ``in_background`` with the warming done before the call is
    known (the report's chart: matplotlib imported while the run collects). The call and its
    arguments are pickled through a pipe: keep them small. ``close`` ends an unused copy.
    Where ``in_background`` would compute in this process, ``submit`` does the same."""

    def __init__(self, warm: Callable[[], Any]):
        self.pid: int | None = None
        if not _can_fork():
            return
        parent = os.getpid()
        ask_r, self._ask = os.pipe()
        self._answer, answer_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(self._ask)
                os.close(self._answer)
                _die_with(parent)
                try:
                    warm()
                except Exception:  # noqa: BLE001 - the call itself will tell
                    pass
                call = _read_frame(ask_r)
                if call:
                    import pickle

                    fn, args = pickle.loads(call)
                    _send(answer_w, fn, args)
            finally:
                os._exit(0)
        os.close(ask_r)
        os.close(answer_w)
        self.pid = pid

    def submit(self, fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        """``in_background(fn, *args)``, by the warmed copy when there is one."""
        if self.pid is None:
            return in_background(fn, *args)
        import pickle

        pid, self.pid = self.pid, None
        try:
            call = pickle.dumps((fn, args))
        except Exception:  # noqa: BLE001 - not picklable: computed here
            call = b""
        try:
            _write_frame(self._ask, call)
        except OSError:  # the copy is gone
            call = b""
        if not call:
            os.close(self._answer)
            os.waitpid(pid, 0)
            return lambda: fn(*args)
        return _receiver(self._answer, pid, fn, args)

    def close(self) -> None:
        if self.pid is not None:
            pid, self.pid = self.pid, None
            try:
                _write_frame(self._ask, b"")
            except OSError:  # the copy is gone already
                pass
            os.close(self._answer)
            os.waitpid(pid, 0)

    def __enter__(self) -> Warmed:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _write_frame(fd: int, data: bytes) -> None:
    """``data`` with its length first, then ``fd`` closed: the reader cannot wait for the end
    of the pipe, as copies forked after it (worker pools) hold its writing end too."""
    with os.fdopen(fd, "wb") as out:
        out.write(len(data).to_bytes(8, "big") + data)


def _read_frame(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as src:
        size = int.from_bytes(src.read(8) or b"\0", "big")
        return src.read(size) if size else b""
