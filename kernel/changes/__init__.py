"""Changes committed by any process, known to every process within a stated bound (``feed``)."""
