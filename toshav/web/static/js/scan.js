// Reading a QR code with the phone's camera, for the inspector's scanner and the business's till.
// Where the browser has its own QR reader (BarcodeDetector: Chromium on Android) it reads the video;
// everywhere else (Safari, Firefox, desktop Chromium) the frames go to ZXing in a worker
// (qr-reader.js), so decoding never holds up the page. Either way one frame is read at a time.

// Between two frames: often enough to feel instant, rare enough to leave a phone's battery alone.
const PAUSE_MS = 150;
// Frames are scaled down to this many pixels on their long side before they go to the worker: a
// QR held up to the camera stays readable, and the copy stays small.
const MAX_SIDE = 960;

export class CameraRefused extends Error {}
export class ScannerFailed extends Error {}

async function browserReader() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

/**
 * Whether this browser can scan a QR code with the camera, by itself or with the worker. Where it
 * needs the worker, the worker starts now and loads the decoder while the network is there: a
 * worker's own script is outside any page's service worker, so a scanner opened online keeps
 * reading when the network goes, and needs it again only after a reload.
 */
export async function canScan() {
  if (!navigator.mediaDevices?.getUserMedia) return false;
  if (await browserReader()) return true;
  if (typeof Worker !== "function" || typeof WebAssembly !== "object") return false;
  zxing();
  return true;
}

// The worker lives as long as the page, so its decoder is compiled once however often one scans.
let worker = null;
let pending = null; // {resolve, reject} of the frame the worker is reading

function zxing() {
  if (worker) return worker;
  worker = new Worker(new URL("./qr-reader.js", import.meta.url), { type: "module" });
  worker.addEventListener("message", (event) => {
    const waiting = pending;
    pending = null;
    if (!waiting) return;
    if (event.data.failed) waiting.reject(new ScannerFailed());
    else waiting.resolve(event.data.text);
  });
  worker.addEventListener("error", () => {
    worker = null; // it could not start (no module workers here): the next scan tries again
    const waiting = pending;
    pending = null;
    if (waiting) waiting.reject(new ScannerFailed());
  });
  return worker;
}

function frameReader(video) {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return () => {
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const { width, height, data } = context.getImageData(0, 0, canvas.width, canvas.height);
    const reader = zxing();
    return new Promise((resolve, reject) => {
      pending = { resolve, reject };
      reader.postMessage({ width, height, data: data.buffer }, [data.buffer]);
    });
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Open the back camera into `video` and read until a QR code is found or `stop()` is called.
 * `found` resolves with the code's text, or null once stopped; it rejects with CameraRefused when
 * the camera cannot be opened, and with ScannerFailed when no reader can start. The camera is
 * released in every case.
 */
export function scanQr(video) {
  let stopped = false;
  let stream = null;
  const release = () => {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
  };
  const found = (async () => {
    try {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
        });
      } catch {
        throw new CameraRefused();
      }
      if (stopped) return null;
      video.srcObject = stream;
      await video.play().catch(() => {});
      const detector = await browserReader();
      const readFrame = detector
        ? async () => (await detector.detect(video))[0]?.rawValue || null
        : frameReader(video);
      while (!stopped) {
        if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
          let text = null;
          try {
            text = await readFrame();
          } catch (error) {
            if (error instanceof ScannerFailed) throw error;
            // a frame that could not be read: try the next one
          }
          if (text && !stopped) return text;
        }
        await pause(PAUSE_MS);
      }
      return null;
    } finally {
      release();
    }
  })();
  return {
    found,
    stop() {
      stopped = true;
      release();
    },
  };
}
