"""One submission state per unit and period (reporting.core.submissions): the rule on
hand-written ledger rows, each case's answer written down here."""

from __future__ import annotations

import pytest

from reporting.core.submissions import Submitted, counts, submission


def rows(*states: str) -> list[dict]:
    """Ledger returns in received order; a state ending in '!' came late."""
    return [
        {"id": i, "state": s.rstrip("!"), "late": s.endswith("!"), "unit": "甲局"}
        for i, s in enumerate(states, 1)
    ]


@pytest.mark.parametrize(
    "states, want, current, rejection, refused",
    [
        ((), Submitted.MISSING, None, None, None),
        (("accepted",), Submitted.ON_TIME, 1, None, None),
        (("accepted!",), Submitted.LATE, 1, None, None),
        (("rejected", "accepted!"), Submitted.LATE, 2, 1, None),
        # a later correction refused or held does not undo the return in force
        (("accepted", "rejected"), Submitted.ON_TIME, 1, None, 2),
        (("accepted", "held"), Submitted.ON_TIME, 1, None, None),
        # held before the accepted one: the office's question, not a rejection of the unit
        (("held", "accepted"), Submitted.ON_TIME, 2, None, None),
        (("rejected",), Submitted.REJECTED, 1, None, None),
        (("held",), Submitted.HELD, 1, None, None),
        # the latest return decides when nothing was accepted
        (("rejected", "held"), Submitted.HELD, 2, None, None),
        (("held", "rejected"), Submitted.REJECTED, 2, None, None),
    ],
)
def test_the_rule(states, want, current, rejection, refused):
    sub = submission("甲局", rows(*states))
    assert sub.state == want
    assert (sub.current or {}).get("id") == current
    assert (sub.rejection or {}).get("id") == rejection
    assert (sub.refused or {}).get("id") == refused
    assert sub.versions == len(states)
    assert Submitted.of(want.state, want == Submitted.LATE) == want  # as merged.json keeps it


def test_counts():
    states = [Submitted.ON_TIME] * 3 + [Submitted.LATE, Submitted.HELD, Submitted.MISSING]
    assert counts(states) == {
        "due": 6,
        "on_time": 3,
        "late": 1,
        "rejected": 0,
        "held": 1,
        "missing": 1,
    }
