"""What is wrong with a rule, and where: what the rule checker finds and ``InvalidRule`` carries."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.i18n import Language, Text


@dataclass(frozen=True)
class RuleProblem:
    """What is wrong with a rule, and where (``all[2].value``; ``rule`` for the whole of it)."""

    path: str
    message: Text

    def describe(self, language: Language) -> str:
        return f"{self.path or 'rule'}: {self.message[language]}"
