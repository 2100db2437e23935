// A vehicle's plate inside the wallet's parking texts: written left to right as on the car, also
// inside a Hebrew or Arabic sentence.

/** A plate as written on the car, kept left to right inside Hebrew and Arabic sentences. */
export function plateElement(plate) {
  const element = document.createElement("bdi");
  element.dir = "ltr";
  element.className = "plate";
  element.textContent = plate;
  return element;
}

/** U+2066..U+2069 isolate a plate inside a sentence built by t(): "12-345-67" stays in order in RTL. */
export function isolated(plate) {
  return `\u2066${plate}\u2069`;
}
