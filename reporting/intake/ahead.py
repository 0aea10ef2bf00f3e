"""The inbox's returned forms read and checked over the cores, ahead of ``collect``'s loop.

``examine`` (``examine_plan`` in a 落实方案 round) is pure (a file in, an ``Examined`` out),
so worker processes run it on the plain spreadsheets of the inbox while ``collect`` takes
the files in one by one as before: hashing and archiving here in inbox order, every ledger
write in ``collect``, in the same order as a serial run, so both leave the same ledger. Mails, attachments, known contents
and anything a worker could not finish are examined by ``collect`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from reporting.core.fileutil import sha256_file
from reporting.core.parallel import ordered_map, worker_count
from reporting.documents.sniff import attachment_kind
from reporting.forms.plan_spec import plan_year
from reporting.intake.inbox import archive_file
from reporting.intake.mailbox import is_message, is_outlook_msg
from reporting.intake.plan_returns import examine_plan
from reporting.intake.validate import Examined, examine

SEEN_NEW = 8  # new files found before the pool is sized by the inbox's count
Ahead = tuple[Path, str, Examined]  # archived path, source, what examine found


def examine_ahead(intake, files: list[tuple[Path, str]], workers: int | None = None) -> Iterator:
    """One entry per inbox file, in order: ``(archived path, source, Examined)`` for a plain
    spreadsheet examined by a worker, else None. ``intake`` is collect's ``_Intake``."""
    if worker_count(len(files), workers) <= 1:
        return  # a small inbox: collect examines each file itself
    r = intake.round
    # a quarter's round (its period), else a year's 落实方案 round (its year)
    shared = (intake.settings, intake.assignments, r.period or plan_year(r.key), r.previous)
    candidates = (_candidate(intake, path, source) for path, source in files)
    # files taken in before (every later run over the same inbox) are passed over here:
    # once a chunk's worth of new ones is found the rest are counted as new (the workers
    # start as early as before); an inbox with fewer new files starts no worker
    head: list[tuple[Path, str] | None] = []
    new = 0
    for candidate in candidates:
        head.append(candidate)
        new += candidate is not None
        if new == SEEN_NEW:
            break
    if worker_count(new + len(files) - len(head), workers) <= 1:
        return  # collect examines the few new ones itself
    try:
        yield from ordered_map(
            _examine, shared, chain(head, candidates), count=len(files), workers=workers
        )
    except Exception:  # noqa: BLE001 - a broken worker: collect examines the rest itself
        return


def _candidate(intake, path: Path, source: str) -> tuple[Path, str] | None:
    """The archived copy of a new plain spreadsheet, as ``collect.take_in`` will find it."""
    try:
        sha = sha256_file(path)
        if intake.known(sha):
            return None
        stored = archive_file(path, sha, intake.workspace.archive_dir, intake.later)
        if (
            stored is None
            or is_message(stored)
            or is_outlook_msg(stored, intake.limits)
            or attachment_kind(stored) is not None
        ):
            return None
    except OSError:  # take_in meets it again and reports it
        return None
    return stored, source


def _examine(shared, item: tuple[Path, str] | None) -> Ahead | None:
    if item is None:
        return None
    settings, assignments, period, previous = shared
    stored, source = item
    try:
        if isinstance(period, int):  # the year of a 落实方案 round
            return stored, source, examine_plan(stored, source, settings, assignments, period)
        return (
            stored,
            source,
            examine(stored, source, settings, assignments, period, previous=previous),
        )
    except Exception:  # noqa: BLE001 - collect examines it again and reports the error
        return None
