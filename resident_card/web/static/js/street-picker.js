// The street field: an ARIA combobox that suggests the city's streets as the visitor types
// (GET /api/v1/city/streets?q=), in the page's language with the other two names beside it.

import { call } from "./api.js";
import { language, onLanguageChange, setText } from "./i18n.js";

const LANGS = ["he", "ar", "en"];

/** A street's names by language, whatever shape the city API gives them in. */
export function streetNames(street) {
  const names = {};
  for (const lang of LANGS) {
    names[lang] =
      (street.names && street.names[lang]) ||
      (street.name && typeof street.name === "object" && street.name[lang]) ||
      street[`name_${lang}`] ||
      (typeof street.name === "string" ? street.name : "") ||
      "";
  }
  return names;
}

export function streetName(street, lang = language()) {
  const names = streetNames(street);
  return names[lang] || names.he || names.en || names.ar;
}

function streetsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  if (data && Array.isArray(data.streets)) return data.streets;
  return [];
}

/**
 * Wire the combobox: input (role=combobox), the hidden field that takes the street's code, the
 * listbox, and a polite live region that says how many streets were found.
 */
export function streetPicker({ input, codeField, listbox, counter }) {
  let streets = [];
  let active = -1;
  let chosen = null;
  let timer = 0;
  let asked = 0;

  function options() {
    return [...listbox.querySelectorAll("[role=option]")];
  }

  function open(isOpen) {
    listbox.hidden = !isOpen;
    input.setAttribute("aria-expanded", String(isOpen));
    if (!isOpen) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
    }
  }

  function highlight(index) {
    const all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  }

  function choose(street) {
    chosen = street;
    input.value = streetName(street);
    codeField.value = String(street.code);
    input.removeAttribute("aria-invalid");
    open(false);
  }

  function render() {
    listbox.replaceChildren();
    const lang = language();
    streets.forEach((street, index) => {
      const names = streetNames(street);
      const option = document.createElement("li");
      option.id = `${listbox.id}-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      const main = document.createElement("span");
      main.textContent = names[lang] || streetName(street, lang);
      const others = document.createElement("span");
      others.className = "other-names";
      others.textContent = LANGS.filter((l) => l !== lang && names[l])
        .map((l) => names[l])
        .join(" · ");
      option.append(main, others);
      // mousedown, not click: the input keeps the focus, so the list does not close first.
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(street);
      });
      listbox.append(option);
    });
    open(streets.length > 0);
    setText(counter, streets.length ? "street.found" : "street.none", { count: streets.length });
  }

  /** A name typed out in full (in any language) counts as chosen. */
  function matchTyped() {
    const typed = input.value.trim().toLocaleLowerCase();
    const match = streets.find((street) =>
      Object.values(streetNames(street)).some((name) => name && name.toLocaleLowerCase() === typed),
    );
    if (match) {
      chosen = match;
      codeField.value = String(match.code);
    }
  }

  async function search() {
    const query = input.value.trim();
    if (!query) {
      streets = [];
      open(false);
      return;
    }
    const ticket = ++asked;
    const result = await call(`/city/streets?q=${encodeURIComponent(query)}`, { auth: false });
    if (ticket !== asked) return; // a newer search is on its way
    streets = result.ok ? streetsOf(result.data) : [];
    render();
    matchTyped();
  }

  input.addEventListener("input", () => {
    chosen = null;
    codeField.value = "";
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });

  input.addEventListener("keydown", (event) => {
    const isOpen = !listbox.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!isOpen && streets.length) open(true);
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (!isOpen && streets.length) open(true);
      highlight(active - 1);
    } else if (event.key === "Enter" && isOpen && active >= 0) {
      event.preventDefault();
      choose(streets[active]);
    } else if (event.key === "Escape" && isOpen) {
      event.preventDefault();
      open(false);
    }
  });

  input.addEventListener("blur", () => open(false));

  onLanguageChange(() => {
    if (chosen) input.value = streetName(chosen);
    if (streets.length) {
      const wasOpen = !listbox.hidden;
      render();
      if (!wasOpen) open(false);
    }
  });

  return {
    get chosen() {
      return chosen;
    },
  };
}
