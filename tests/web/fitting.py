"""Text that fits: what a page on a phone, and at 200 % text on 320 px, must hold to.

WCAG 1.4.4 (text resized to 200 %) and 1.4.10 (reflow at 320 CSS px): nothing wider than the screen,
no text cut off by its box, no two texts on top of each other, and no word broken across lines
where it would fit on one. On a 360×800 phone the header is one line (at most 64 px), so the card's
code is whole on the wallet's first screen.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, ViewportSize

from tests.web.every_page import Visit

PHONE: ViewportSize = {"width": 360, "height": 800}
NARROW: ViewportSize = {"width": 320, "height": 640}
HEADER_MAX = 64  # px at 360×800: the header is one line of 44 px targets
# The pages' policy allows no <style> element; the root's own style sets the text size.
BIG_TEXT = "document.documentElement.style.setProperty('font-size', '200%', 'important')"

# What does not fit, as a list of sentences (empty when everything fits). Shown elements only;
# an element inside a box that scrolls sideways on purpose may be wider than the screen.
NOT_FITTING = """(within) => {
  const problems = [];
  const width = window.innerWidth;
  const label = (e) => e.id ? "#" + e.id
    : e.tagName.toLowerCase() + (typeof e.className === "string" && e.className.trim()
      ? "." + e.className.trim().split(/\\s+/).join(".") : "");
  const shown = (e) => {
    if (e.closest(".visually-hidden, [hidden], dialog:not([open]), details:not([open]) > :not(summary)")) return false;
    const style = getComputedStyle(e);
    if (style.visibility === "hidden" || style.display === "none") return false;
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    // Read out but not shown: a 1 px box that clips what is in it.
    for (let up = e; up && up !== document.body; up = up.parentElement) {
      const around = up.getBoundingClientRect();
      if (around.width <= 1 && around.height <= 1 && getComputedStyle(up).overflow === "hidden") return false;
    }
    return true;
  };
  const scrollsSideways = (e) => {
    for (let up = e.parentElement; up && up !== document.body; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const blockOf = (e) => {
    let up = e;
    while (up && getComputedStyle(up).display.startsWith("inline") && up.parentElement) up = up.parentElement;
    return up;
  };

  const scrolling = document.scrollingElement.scrollWidth;
  if (scrolling > width) problems.push(`the page is ${scrolling}px wide on a ${width}px screen`);

  const root = document.querySelector(within);
  const elements = [...root.querySelectorAll("*")].filter(shown);
  for (const e of elements) {
    const box = e.getBoundingClientRect();
    if ((box.right > width + 1 || box.left < -1) && !scrollsSideways(e)) {
      problems.push(`${label(e)} runs off the screen (${Math.round(box.left)}..${Math.round(box.right)})`);
    }
    const style = getComputedStyle(e);
    const clips = [style.overflowX, style.overflowY].some((o) => o === "hidden" || o === "clip");
    if (clips && e.textContent.trim() && e.tagName !== "SELECT"
        && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)) {
      problems.push(`${label(e)} cuts its text off`);
    }
    if (style.wordBreak === "break-all" || style.hyphens === "auto") {
      problems.push(`${label(e)} breaks words anywhere (${style.wordBreak}, ${style.hyphens})`);
    }
  }

  // Each shown text's line boxes, and each word's: a word on two lines that fits on one is broken.
  const lines = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    if (!node.textContent.trim() || !owner || !shown(owner)) continue;
    if (["SCRIPT", "STYLE", "OPTION", "TEXTAREA"].includes(owner.tagName)) continue;
    range.selectNodeContents(node);
    for (const box of range.getClientRects()) {
      if (box.width > 1 && box.height > 1) lines.push({ owner, box, text: node.textContent.trim() });
    }
    const block = blockOf(owner);
    const blockStyle = getComputedStyle(block);
    const room = block.clientWidth - parseFloat(blockStyle.paddingLeft) - parseFloat(blockStyle.paddingRight);
    const words = /[^\\s\\-\\u2010\\u2011/]+/g;
    for (let match = words.exec(node.textContent); match; match = words.exec(node.textContent)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const parts = [...range.getClientRects()].filter((r) => r.width > 0.5);
      const tops = new Set(parts.map((r) => Math.round(r.top / 4)));
      const wide = parts.reduce((sum, r) => sum + r.width, 0);
      if (tops.size > 1 && wide <= room) {
        problems.push(`${label(owner)} breaks the word "${match[0]}" across lines`);
      }
    }
  }
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i].box, b = lines[j].box;
      const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const down = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (across > 2 && down > 2 && lines[i].owner !== lines[j].owner) {
        problems.push(`"${lines[i].text.slice(0, 30)}" lies over "${lines[j].text.slice(0, 30)}"`);
      }
    }
  }
  return [...new Set(problems)];
}"""

HEADER = """() => {
  const header = document.querySelector(".site-header").getBoundingClientRect();
  const menu = document.getElementById("language-open").getBoundingClientRect();
  const code = document.getElementById("card-qr-image");
  const shown = code && !code.hidden ? code.getBoundingClientRect() : null;
  return {
    height: header.height,
    menuInside: menu.top >= header.top && menu.bottom <= header.bottom
      && menu.left >= 0 && menu.right <= window.innerWidth,
    code: shown && { top: shown.top, bottom: shown.bottom },
  };
}"""


def not_fitting(page: Page, within: str = "body") -> list[str]:
    """What does not fit in the page, or in one part of it (an open menu lies over the page)."""
    problems: list[str] = page.evaluate(NOT_FITTING, within)
    return problems


def header_problems(page: Page, visit: Visit) -> list[str]:
    """The header on a 360×800 phone: one line with its menu inside, and the wallet's code whole."""
    header: dict[str, Any] = page.evaluate(HEADER)
    problems: list[str] = []
    if header["height"] > HEADER_MAX:
        problems.append(f"the header is {header['height']}px high")
    if not header["menuInside"]:
        problems.append("the language menu's button is outside the header")
    if visit.path == "/wallet":
        code = header["code"]
        if code is None or code["bottom"] > PHONE["height"]:
            problems.append(f"the card's code is not whole on the first screen ({code})")
    return problems


def big_text_problems(page: Page) -> list[str]:
    """200 % text on 320 px: the page, then the language menu opened over it (closed again)."""
    page.set_viewport_size(NARROW)
    page.evaluate(BIG_TEXT)
    page.wait_for_timeout(100)
    problems = not_fitting(page)
    page.locator("#language-open").click()
    problems += [f"the language menu open: {p}" for p in not_fitting(page, "#language-menu")]
    page.keyboard.press("Escape")
    return problems
