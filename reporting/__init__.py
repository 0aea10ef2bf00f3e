"""duban's domain library: tasks, registry, calendar, forms, intake, merge, report, notify.

Nothing here knows about the command line or the scheduler (see ``jobs``).
"""
