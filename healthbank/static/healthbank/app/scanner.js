/*
 * Reading a QR code with the phone's camera: the browser's BarcodeDetector where it has one that reads QR
 * codes, otherwise the vendored jsQR decoder (vendor/jsqr) on frames drawn into a canvas. Nothing is sent
 * anywhere from here: the caller gets the decoded text.
 */
import { config } from "./core.js";

export class CameraError extends Error {
  /** kind: "refused" (permission denied), "absent" (no camera), "failed" */
  constructor(kind) {
    super(kind);
    this.kind = kind;
  }
}

let jsqrLoading = null;

function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  jsqrLoading =
    jsqrLoading ||
    new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = config.jsqr;
      script.onload = () => resolve(window.jsQR);
      script.onerror = () => reject(new CameraError("failed"));
      document.head.appendChild(script);
    });
  return jsqrLoading;
}

async function detector() {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const native = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => {
          const found = await native.detect(video);
          return found.length ? found[0].rawValue : null;
        };
      }
    } catch {
      // fall through to jsQR
    }
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return null;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    const found = jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" });
    return found ? found.data : null;
  };
}

/**
 * Starts the camera in ``video`` and resolves with the first QR text ``accept`` agrees to (a function of the
 * text, true to stop). ``started`` resolves when the camera is showing (rejects with a CameraError when it
 * cannot be used); ``stop()`` on the returned handle ends it (the promise then resolves with null).
 */
export function startScanning(video, accept = () => true) {
  let stream = null;
  let stopped = false;
  let finish;
  const result = new Promise((resolve) => (finish = resolve));
  let cameraOn;
  // Resolves once the camera shows its picture (or the scan ended first); rejects with a CameraError.
  const started = new Promise((resolve, reject) => (cameraOn = { resolve, reject }));
  const stop = (value = null) => {
    stopped = true;
    if (stream) for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
    cameraOn.resolve();
    finish(value);
  };
  const run = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new CameraError("absent");
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    } catch (error) {
      if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) throw new CameraError("refused");
      if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) throw new CameraError("absent");
      throw new CameraError("failed");
    }
    if (stopped) {
      stop();
      return;
    }
    video.srcObject = stream;
    video.setAttribute("playsinline", "");
    video.muted = true;
    await video.play().catch(() => {});
    const read = await detector();
    cameraOn.resolve();
    while (!stopped) {
      let text = null;
      try {
        text = await read(video);
      } catch {
        text = null;
      }
      if (text && accept(text)) {
        stop(text);
        return;
      }
      await new Promise((r) => setTimeout(r, 120));
    }
  };
  run().catch((error) => {
    cameraOn.reject(error instanceof CameraError ? error : new CameraError("failed"));
    finish(null);
  });
  return { result, started, stop: () => stop(null) };
}
