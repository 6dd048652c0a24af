// Elements, pictures and grids: what every mode draws with. Images are flat (C*H*W,) arrays in [0, 1]
// with their shape [C, H, W], as vae.plots draws them.

import { sigmoid } from "./model.js";

export function element(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

export const signed = (v) => {  // +0.39, −5.52, and 0.00 for what rounds to zero (no −0.00 or +0.00)
  const text = Math.abs(v).toFixed(2);
  return Number(text) === 0 ? text : (v < 0 ? "−" : "+") + text;
};

export function figure(testId, caption) {
  // a picture and its caption, to save or show full screen: { box: <figure>, canvas, caption: <figcaption> }
  const canvas = element("canvas", { "data-testid": testId, role: "img", "aria-label": caption });
  const text = element("figcaption", {}, caption);
  const box = element("figure", {}, canvas, text);
  keep(box, canvas, testId);
  return { box, canvas, caption: text };
}

const SAVED_PX = 280;  // a saved picture's least side: a 28-pixel decoding is saved with each pixel 10 x 10

export function keep(box, canvas, name, shown = box) {
  // two small buttons over a picture's top right corner (live.css): its canvas saved as name.png, and shown
  // (the picture with its caption, or what explains it too) full screen
  const save = element("button", { type: "button", class: "save", "aria-label": `Save as ${name}.png`,
    title: `Save as ${name}.png` }, "⤓");
  save.addEventListener("click", () => savePng(canvas, `${name}.png`));
  const full = element("button", { type: "button", class: "full", "aria-label": "Full screen", title: "Full screen (Esc leaves)" }, "⤢");
  full.addEventListener("click", () => (document.fullscreenElement ? document.exitFullscreen() : shown.requestFullscreen()));
  box.classList.add("kept");
  box.append(element("span", { class: "keep" }, save, full));
}

function savePng(canvas, name) {
  // the canvas's own pixels, each a square (no smoothing), so that a small decoding stays sharp when printed
  const scale = Math.max(1, Math.ceil(SAVED_PX / Math.min(canvas.width, canvas.height)));
  const out = element("canvas", { width: canvas.width * scale, height: canvas.height * scale });
  const context = out.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(canvas, 0, 0, out.width, out.height);
  out.toBlob((blob) => {
    const link = element("a", { href: URL.createObjectURL(blob), download: name });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }, "image/png");
}

export function paint(canvas, values, shape) {
  // values (C*H*W,) in [0, 1] -> grey (C = 1) or colour (C = 3) pixels on a canvas of H x W
  const [channels, height, width] = shape;
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  const context = canvas.getContext("2d"), image = context.createImageData(width, height);
  const plane = height * width, rgba = image.data;  // read once: each .data is a call into the browser
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.round(255 * values[(channels === 3 ? c : 0) * plane + p]);
    rgba[4 * p + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

export function decoded(logits) {  // x_hat in [0, 1]
  const pixels = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) pixels[i] = sigmoid(logits[i]);
  return pixels;
}

export function finite(values) {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

export const notFinite = (name, what) => `The VAE's decoder (${name}) gave values that are not finite for ${what}, ` +
  "so it is not drawn. Move the sliders back or press Reset.";

const GAP_PX = 2;
const tile = document.createElement("canvas");  // one image at its own size, before it is scaled into a grid

export function paintTiles(canvas, images, cols, shape, size) {
  // images (C*H*W,) in [0, 1] as a grid of cols columns on light grey, each pixel a square of about size / W
  const [, height, width] = shape, scale = Math.max(1, Math.round(size / width));
  const rows = Math.ceil(images.length / cols), tileW = width * scale, tileH = height * scale;
  const pad = images.length > 1 ? GAP_PX : 0;
  Object.assign(canvas, { width: cols * (tileW + pad) + pad, height: rows * (tileH + pad) + pad });
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;  // crisp square pixels, as vae.plots.to_pixels draws them
  context.fillStyle = "rgb(200, 200, 200)";
  context.fillRect(0, 0, canvas.width, canvas.height);
  images.forEach((values, n) => {
    paint(tile, values, shape);
    context.drawImage(tile, pad + (n % cols) * (tileW + pad), pad + Math.floor(n / cols) * (tileH + pad), tileW, tileH);
  });
}

export function meanAndStd(images) {
  // per-pixel mean and (population) standard deviation over the images, as numpy's mean and std; the
  // mean as a running update, so that identical images (the AE's) give exactly their value and std 0
  const mean = new Float64Array(images[0].length), std = new Float64Array(mean.length);
  images.forEach((image, k) => { for (let p = 0; p < mean.length; p++) mean[p] += (image[p] - mean[p]) / (k + 1); });
  for (const image of images) for (let p = 0; p < mean.length; p++) std[p] += (image[p] - mean[p]) ** 2 / images.length;
  return [mean, std.map(Math.sqrt)];
}
