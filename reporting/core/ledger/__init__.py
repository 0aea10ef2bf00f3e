"""The ledger: one SQLite file under the data dir recording what happened.

``Ledger`` is the one object callers open; it is made of one store per concern, each in
its own module with the tables it writes:

- ``connection`` opening the file, transactions, ``batched``; ``schema`` the tables and
  ``MIGRATIONS``; ``backups`` copies of the ledger and the way back when it is lost;
  ``owner`` which process holds a send claim
- ``sends``    ``sends`` and ``send_claims`` (claim before send)
- ``returns``  ``returns``, ``return_answers``, ``reviews`` (returns held as 待核实)
- ``files``    ``files`` (every received file once, by SHA-256) and ``attachments``
- ``cycle``    ``steps`` done, ``forms`` built, ``merges`` (what collect last merged)
- ``numbers``  ``doc_numbers`` (发文字号) and ``adjustments`` (考核 加减分)
- ``imap``     ``imap_mails`` and ``imap_fetches`` (the office mailbox)
- ``changes``  ``change_requests`` and ``change_decisions`` (销号/延期/调整, every decision a
  new version)
- ``orders``   ``orders`` (督办单: number, rung, 时限, the return that answered it)
"""

from __future__ import annotations

from reporting.core.ledger.backups import (
    LEDGER_BACKUPS,
    backup_before_write,
    backup_ledger,
    newest_copy,
    require_ledger,
    way_back,
)
from reporting.core.ledger.changes import ChangeStore
from reporting.core.ledger.connection import PeriodKey
from reporting.core.ledger.cycle import CycleStore
from reporting.core.ledger.files import FileStore
from reporting.core.ledger.imap import ImapStore
from reporting.core.ledger.numbers import NumberStore
from reporting.core.ledger.orders import OrderRecord, OrderStore
from reporting.core.ledger.owner import owner_alive, process_token
from reporting.core.ledger.returns import ReturnStore
from reporting.core.ledger.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from reporting.core.ledger.sends import SendStore, receipt_key
from reporting.core.states import FEEDBACK_STAGE, RECEIPT_STAGE


class Ledger(
    CycleStore, SendStore, ReturnStore, FileStore, NumberStore, ImapStore, ChangeStore, OrderStore
):
    """The data dir's ledger: ``Ledger(path)`` opens (and migrates) it; every write takes
    its time (``at=``) from the caller."""


__all__ = [
    "FEEDBACK_STAGE",
    "LEDGER_BACKUPS",
    "MIGRATIONS",
    "OrderRecord",
    "RECEIPT_STAGE",
    "SCHEMA_VERSION",
    "Ledger",
    "PeriodKey",
    "backup_before_write",
    "backup_ledger",
    "migrate",
    "newest_copy",
    "owner_alive",
    "process_token",
    "receipt_key",
    "require_ledger",
    "way_back",
]
