// A business's registry number as the city takes it: nine digits, the last a check digit (the
// Israeli ID number's algorithm). The API checks it again and is the judge.

/** The nine digits, separators removed, or null when they are not nine digits. */
export function registryDigits(value) {
  const cleaned = String(value).replace(/[\s\-/.]/g, "");
  return /^[0-9]{9}$/.test(cleaned) ? cleaned : null;
}

/** Whether the last of nine digits is the right check digit. */
export function checkDigitRight(digits) {
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    const product = Number(digits[i]) * ((i % 2) + 1);
    sum += product > 9 ? product - 9 : product;
  }
  return sum % 10 === 0 && Number(digits) !== 0;
}
