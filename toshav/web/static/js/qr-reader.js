// Reads a QR code from one camera frame, off the page's main thread: a module worker started by
// scan.js where the browser has no QR reader of its own. The decoder is ZXing (zxing-wasm, vendored
// under /static/vendor/zxing_wasm with its licences); its WebAssembly comes from the app, never
// from a CDN (the library's default). The decoder loads as soon as the worker starts.
//
// Message in: {width, height, data} (RGBA bytes of the frame, transferred). Message out: {text}
// (the QR's text, or null when the frame holds none), or {failed: true} when the decoder could
// not start, so the page can say the camera cannot scan here.

import { prepareZXingModule, purgeZXingModule, readBarcodes } from "../vendor/zxing_wasm/es/reader/index.js";

const WASM = new URL("../vendor/zxing_wasm/reader/zxing_reader.wasm", import.meta.url).href;
const OPTIONS = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };

function load() {
  const loading = prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) },
    fireImmediately: true,
  });
  loading.catch(() => {}); // answered when a frame comes
  return loading;
}

let ready = load();

self.addEventListener("message", async (event) => {
  const { width, height, data } = event.data;
  try {
    await ready;
  } catch {
    purgeZXingModule(); // the next scan tries to load it again
    ready = load();
    self.postMessage({ failed: true });
    return;
  }
  try {
    const [found] = await readBarcodes({ width, height, data: new Uint8ClampedArray(data) }, OPTIONS);
    self.postMessage({ text: found && found.isValid ? found.text : null });
  } catch {
    self.postMessage({ text: null }); // a frame that could not be read: the page sends the next
  }
});
