"""How each file came in, kept beside its archived copy so the ledger can be rebuilt.

The archive is content-addressed (``ab/<sha256><ext>``): the copy alone does not say for
which period it came, from where, or when. ``collect`` therefore writes, atomically and
BEFORE the ledger row, one small JSON file per period next to the copy:
``ab/<sha256><ext>.<period>.json`` with the inbox source, the original name, the mail's
sender, the time our side received it (and whether that time came from our mail server)
and the intake order (``taken_at`` of the run + ``seq`` within it). ``duban recover``
replays these in that order through the same identification and checks.

Only the files taken from the inbox get one (a saved mail, not each of its attachments:
replaying the mail takes them again). The office's decision on a held return
(``duban review``) is kept beside that return's copy (``<copy>.<period>.review.json``), also
written before the ledger.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reporting.core.fileutil import SyncLater, atomic_write_text
from reporting.core.model import indented_json

VERSION = 1
_NAME = re.compile(
    r"^(?P<sha>[0-9a-f]{64})(?P<ext>\.[^.]+)?\.(?P<period>\d{4}(?:Q[1-4]|plan))\.json$"
)


@dataclass(frozen=True)
class Arrival:
    """One inbox file of one period as collect took it in."""

    period: str
    sha256: str
    source: str  # as listed in the ledger (path under the inbox)
    name: str  # the original file name
    kind: str  # file | mail
    first_seen: str  # when duban first saw it (file time, or the server's INTERNALDATE)
    trusted: bool  # first_seen is our mail server's INTERNALDATE
    taken_at: str  # the collect run's time
    seq: int  # order within that run
    received_at: str = ""  # a mail: our receipt time as decided (else first_seen)
    sender: str = ""  # a mail: its From:
    version: int = VERSION

    def order(self) -> tuple:
        return (_time(self.taken_at), self.seq, self.source)


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def arrival_path(stored: Path, period: str) -> Path:
    return stored.with_name(f"{stored.name}.{period}.json")


def write_arrival(stored: Path, arrival: Arrival, later: SyncLater | None = None) -> None:
    atomic_write_text(arrival_path(stored, arrival.period), indented_json(asdict(arrival)), later)


def read_arrival(stored: Path, period: str) -> Arrival | None:
    try:
        data = json.loads(arrival_path(stored, period).read_text(encoding="utf-8"))
        return Arrival(**{k: v for k, v in data.items() if k in Arrival.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def decision_path(stored: Path, period: str) -> Path:
    return stored.with_name(f"{stored.name}.{period}.review.json")


def write_decision(stored: Path, period: str, decision: dict) -> None:
    """The office's decision on a held return (``duban review``), beside the return's copy,
    written before the ledger: a rebuilt ledger applies it again."""
    atomic_write_text(decision_path(stored, period), json.dumps(decision, ensure_ascii=False))


def read_decision(stored: Path, period: str) -> dict | None:
    try:
        data = json.loads(decision_path(stored, period).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class ArchiveScan:
    """What the archive holds: each arrival with its copy, in intake order per period."""

    arrivals: dict[str, list[tuple[Arrival, Path]]] = field(default_factory=dict)
    unreadable: list[Path] = field(default_factory=list)  # a sidecar that cannot be read
    orphans: list[Path] = field(default_factory=list)  # a sidecar without its copy

    @property
    def periods(self) -> list[str]:
        return sorted(self.arrivals)


def scan_arrivals(archive_dir: Path) -> ArchiveScan:
    scan = ArchiveScan()
    for path in sorted(archive_dir.glob("*/*.json")):
        m = _NAME.match(path.name)
        if m is None:
            continue  # an archived .json someone sent, not a sidecar
        stored = path.with_name(path.name[: -len(f".{m['period']}.json")])
        arrival = read_arrival(stored, m["period"])
        if arrival is None or arrival.sha256 != m["sha"]:
            scan.unreadable.append(path)
        elif not stored.is_file():
            scan.orphans.append(path)
        else:
            scan.arrivals.setdefault(arrival.period, []).append((arrival, stored))
    for items in scan.arrivals.values():
        items.sort(key=lambda item: item[0].order())
    return scan
