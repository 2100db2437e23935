"""Words that read right: a page in Hebrew or in Arabic says nothing in code or in English.

The test reads what a person reads (the rendered text, and the placeholders, labels, titles and
alternative texts a screen reader says) and finds code words (``hadar_west``, ``(malformed)``),
ISO dates and months (``2026-11``) and stray Latin words. What is data, not a sentence, may be in
Latin letters: names (the page isolates them in ``<bdi>``), email addresses, and a short list of
words every language writes so (QR, PDF, CSV).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page

from resident_card.accounts.demo import DEMO_USERS

# Names every language writes in Latin letters: codes and file formats, and a standard's name.
ALLOWED = {"QR", "PDF", "CSV", "SVG", "GPS", "JPEG", "PNG", "WebP", "WCAG", "AA"}
# The demo city's data, which is what it is in any language: its people's and business's names,
# and the logins (a display name and a username shown to say who is signed in).
DEMO_NAMES = {"Dana", "Levi", "Noam", "Café", "Hadar", "Shop", "staff"} | {
    username for username, _, _ in DEMO_USERS
}
EMAIL = re.compile(r"\S+@\S+\.\S+")
CODE_WORD = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\(malformed\)")
ISO_DAY_OR_MONTH = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b")
LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’]+")

# What a person reads on the page: each shown text with the element that holds it, leaving out
# data the page isolates (<bdi>: names, plates, numbers) and what the person typed.
READ = """() => {
  const found = [];
  const shown = (e) => {
    if (e.closest("[hidden], dialog:not([open]), details:not([open]) > :not(summary), script, style, template")) return false;
    const style = getComputedStyle(e);
    return style.display !== "none" && style.visibility !== "hidden";
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (!text || !owner || !shown(owner) || owner.closest("bdi, [translate=no], [lang]:not(html):not([lang=he]):not([lang=ar])")) continue;
    found.push([owner.id || owner.className || owner.tagName, text]);
  }
  for (const e of document.querySelectorAll("[placeholder], [aria-label], [title], [alt], option")) {
    if (!shown(e) && e.tagName !== "OPTION") continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      const value = e.getAttribute(name);
      if (value) found.push([`${e.id || e.tagName}[${name}]`, value]);
    }
    if (e.tagName === "OPTION" && !e.closest("[lang]:not(html):not([lang=he]):not([lang=ar])")) {
      found.push([`option of ${e.parentElement.id}`, e.textContent.trim()]);
    }
  }
  found.push(["title", document.title]);
  return found;
}"""


def leaks(page: Page) -> list[str]:
    """Each code word, ISO date or Latin word in what the page says, with where it is."""
    found: list[str] = []
    for where, text in page.evaluate(READ):
        plain = EMAIL.sub(" ", text)
        for pattern in (CODE_WORD, ISO_DAY_OR_MONTH):
            found += [
                f"{where}: {match.group(0)!r} in {text!r}" for match in pattern.finditer(plain)
            ]
        words = [w for w in LATIN_WORD.findall(plain) if w not in ALLOWED | DEMO_NAMES]
        if words:
            found.append(f"{where}: {words} in {text!r}")
    return sorted(set(found))
