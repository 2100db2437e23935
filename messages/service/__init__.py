"""The rules of messages, by what they do: posting to the outbox (``outbox``), a person's inbox and
preferences (``inbox``), and delivering by email and SMS (``delivery``)."""
