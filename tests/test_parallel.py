"""``core.parallel.ordered_map``: results in input order whoever computed them; the first
item computed by the caller before the workers are forked (what it imports and caches
they inherit), the rest by worker processes; a small batch, or an empty one, starts no
process at all."""

from __future__ import annotations

import os
import threading

import pytest

from reporting.core import parallel
from reporting.core.parallel import cores, ordered_map

_seen: list[str] = []  # filled in the process that computes an item


def pid_and_square(offset, item):
    _seen.append(f"{os.getpid()}:{item}")
    return os.getpid(), item * item + offset, len(_seen)


def fails_at_three(_, item):
    if item == 3:
        raise ValueError("第 3 项出错")
    return item


def forks() -> bool:
    return cores() >= 2 and threading.active_count() == 1


@pytest.mark.skipif(not forks(), reason="needs two cores and a single-threaded caller")
def test_the_first_item_is_computed_here_and_inherited_by_the_workers():
    _seen.clear()
    items = list(range(40))
    got = list(ordered_map(pid_and_square, 7, items, count=len(items), workers=2))
    assert [value for _, value, _ in got] == [i * i + 7 for i in items]
    me = os.getpid()
    assert got[0][0] == me  # the first one here, before any worker exists
    assert {pid for pid, _, _ in got[1:]} - {me} and me not in {pid for pid, _, _ in got[1:]}
    # a worker starts with what the caller had filled: the first item already in its list
    assert all(count >= 2 for pid, _, count in got[1:])
    assert _seen == [f"{me}:0"]  # the rest never ran in the caller


def test_a_small_batch_stays_in_the_caller(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 24)
    got = list(ordered_map(pid_and_square, 0, range(30), count=30))
    assert {pid for pid, _, _ in got} == {os.getpid()}
    assert [v for _, v, _ in got] == [i * i for i in range(30)]


def test_nothing_to_do_starts_no_pool(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for no item")

    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    assert list(ordered_map(pid_and_square, 0, iter(()), count=100, workers=2)) == []


@pytest.mark.skipif(not forks(), reason="needs two cores and a single-threaded caller")
def test_an_error_is_raised_at_its_item():
    got = []
    with pytest.raises(ValueError, match="第 3 项出错"):
        for value in ordered_map(fails_at_three, None, range(40), count=40, workers=2):
            got.append(value)
    assert got == list(range(len(got))) and len(got) <= 3  # in order, none after it


@pytest.mark.skipif(not forks(), reason="needs two cores and a single-threaded caller")
@pytest.mark.parametrize(("count", "largest"), [(24, 1), (50, 3), (400, 8)])
def test_a_small_batch_goes_in_small_chunks(monkeypatch, count, largest):
    """In chunks of 8, 23 items after the first leave one worker with 15 or 16 while the
    other idles after 8; a small batch goes in chunks that keep at least 8 per worker, a
    large one in chunks of 8 as before."""
    import concurrent.futures

    sizes = []

    class Recording(concurrent.futures.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            sizes.append(len(args[1]))
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    got = list(ordered_map(pid_and_square, 0, range(count), count=count, workers=2))
    assert [v for _, v, _ in got] == [i * i for i in range(count)]
    assert sum(sizes) == count - 1 and max(sizes) == largest
