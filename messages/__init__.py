"""Messages to people: the outbox every domain's notices are posted to, their delivery by email
and SMS, and the inbox in the wallet."""
