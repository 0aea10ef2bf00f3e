"""What runs when: the cycle's jobs, the scheduler and the ``duban`` command line."""
