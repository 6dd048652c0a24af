// The files a page is sent by URL (routes/files.py): fetched once and kept for the page's life. A
// file's name is its content, so a URL always means the same bytes, and the browser's cache serves a
// reload. A file that cannot be fetched or read becomes an Error whose message the page shows.

import { makeDecoder, makeEncoder, readSafetensors } from "./model.js";

const files = new Map();  // url -> Promise of its value (or of an Error)
const ready = new Map();  // url -> its value, once fetched: drawing reads these without waiting

// Each half is run a few times when it arrives, on inputs like the real ones, so that the JIT has compiled
// its loops before the first drag or stroke.
const READ = {
  // kind -> bytes -> value
  decoder: (bytes) => {
    const decoder = makeDecoder(readSafetensors(bytes)), z = new Array(decoder.card.latent_dim).fill(0.5);
    for (let i = 0; i < 8; i++) decoder.decodePair(z, z), decoder.decodeLogits(z);
    return decoder;
  },
  encoder: (bytes) => {
    const file = readSafetensors(bytes), encode = makeEncoder(file);
    const x = new Float64Array(file.card.image_shape.reduce((a, b) => a * b, 1)).map((_, i) => (i % 7 ? 0 : 0.8));
    for (let i = 0; i < 8; i++) encode(x);
    return encode;
  },
  f32: (bytes) => new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
  u8: (bytes) => bytes,
  json: (bytes) => JSON.parse(new TextDecoder().decode(bytes)),
};

export function load(url, kind, what) {
  // -> Promise of the file's value, or of an Error naming what it is (e.g. "the weights of mnist-vae-z8")
  if (!files.has(url)) {
    files.set(url, fetch(new URL(url, location.href))
      .then(async (response) => {
        if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
        return READ[kind](new Uint8Array(await response.arrayBuffer()));
      })
      .catch((error) => new Error(`${what[0].toUpperCase()}${what.slice(1)} could not be used in the browser: ` +
        `${error.message}. Reload the page; if this stays, the server is missing its files.`))
      .then((value) => {
        ready.set(url, value);
        return value;
      }));
  }
  return files.get(url);
}

export function loaded(url) {  // the file's value (or Error) if it has arrived, else undefined
  return ready.get(url);
}

export function loadAll(needs) {
  // needs: [[url, kind, what], ...] -> Promise of the first Error among them, or null when all are here
  return Promise.all(needs.map(([url, kind, what]) => load(url, kind, what)))
    .then((values) => values.find((v) => v instanceof Error) ?? null);
}
