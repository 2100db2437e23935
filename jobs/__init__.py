"""Jobs: the record of every periodic run (one per job and period), the worker's scheduling, and
what admins and auditors read of it."""
