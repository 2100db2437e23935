"""The eligibility engine: programmes, dated rule versions, and decisions that say why."""
