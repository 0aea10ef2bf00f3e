"""What the outbox says was sent: one ``OutboxMail`` per .eml file duban wrote there.

The mailer's outbox mode (``[smtp] outbox``, the demo) names each file after the message's
label (``2024Q1_通知_区财政局.eml``, ``2024Q1_回执_区财政局_1a2b3c4d.eml``,
``2024Q1_配合反馈_区财政局_1a2b3c4d.eml``); its ``Date:`` is duban's own clock at sending.
Mail sent straight to a server leaves nothing on disk: those sends cannot be known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path

from reporting.core.calendar import TZ
from reporting.core.fileutil import safe_filename
from reporting.core.periods import Period
from reporting.core.states import FEEDBACK_STAGE, SEND_STAGES
from reporting.notify.receipts import KIND_CN

LABEL_LIMIT = 120  # as the mailer cuts a label into a file name
STAGES = (*[str(s) for s in SEND_STAGES], *KIND_CN.values(), FEEDBACK_STAGE)
_KEY = re.compile(r"_([0-9a-f]{8})$")


@dataclass(frozen=True)
class OutboxMail:
    period: str
    stage: str  # 通知 / 提醒 / 催报 / 逾期 / 回执 / 退回通知 / 配合反馈
    unit: str
    key8: str  # receipts and 配合反馈: the first 8 characters of the send's key
    at: str  # its Date: (our clock when it was written)
    path: Path


def read_outbox(folder: Path, periods: list[Period | str], units: list[str]) -> list[OutboxMail]:
    """The outbox's mails of ``periods`` to ``units``, oldest first; files that are not
    duban's (other names) are left out."""
    names: dict[str, tuple[str, str, str]] = {}
    for period in periods:
        for stage in STAGES:
            for unit in units:
                label = safe_filename(f"{period}_{stage}_{unit}", limit=LABEL_LIMIT)
                names.setdefault(label, (str(period), stage, unit))
    found = []
    try:
        files = sorted(folder.glob("*.eml"))
    except OSError:
        return []
    for path in files:
        stem, key8 = path.stem, ""
        m = _KEY.search(stem)
        hit = names.get(stem)
        if hit is None and m is not None:
            hit, key8 = names.get(stem[: m.start()]), m[1]
        if hit is None:
            continue
        found.append(OutboxMail(*hit, key8=key8, at=_sent_at(path), path=path))
    return sorted(found, key=lambda mail: (mail.at, mail.path.name))


def _sent_at(path: Path) -> str:
    try:
        with path.open("rb") as f:
            headers = BytesHeaderParser(policy=default).parse(f)
        when: datetime = parsedate_to_datetime(str(headers["Date"]))
        return when.isoformat(timespec="seconds")
    except (OSError, TypeError, ValueError, IndexError):
        try:
            return datetime.fromtimestamp(path.stat().st_mtime, TZ).isoformat(timespec="seconds")
        except OSError:
            return ""
