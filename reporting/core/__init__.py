"""What every stage shares: settings, periods and working days, the ledger, paths, errors,
named states, the one submission state, numbers and wording.

May import: nothing outside itself.
"""
