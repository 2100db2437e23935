"""Eligibility rules as data: the facts a rule may name (``known_facts``), the checker that reads a
rule into a tree of conditions (``parsing``), and the evaluator that says why (``evaluation``).

A rule is a JSON condition tree a clerk can read::

    {"all": [{"fact": "residency_status", "op": "==", "value": "verified"},
             {"any": [{"fact": "age", "op": ">=", "value": 67},
                      {"fact": "disability", "op": "==", "value": true}]}]}
"""
