// A drawing made like the dataset's images: vae/data.py's convert, written again for the browser, step
// for step (tests/test_drawing.py holds the two within 1/255 on drawings made in Chromium). Free of the
// DOM: images are flat Float64Array (H*W,) row by row, with their [H, W]. Python rounds half to even,
// and so does this file.

export const LEVELS = 15;  // a drawn input has 16 grey levels, k / 15: 4 bits a pixel in a link

export function convert(gray, [height, width], how, [h, w]) {
  // gray (H*W,) in [0, 1] -> (h*w,) in [0, 1], light ink on dark, the brightest stroke at 1
  const border = [];
  for (let c = 0; c < width; c++) border.push(gray[c], gray[(height - 1) * width + c]);
  for (let r = 0; r < height; r++) border.push(gray[r * width], gray[r * width + width - 1]);
  let image = { data: gray, height, width };
  if (mean(border) > 0.5) image = { ...image, data: gray.map((v) => 1 - v) };  // dark ink on light paper
  let x;
  if (how.place === "mnist") x = likeMnist(image, how, h);
  else {
    if (how.place === "crop") image = cropToContent(image, how.margin, how.level);
    x = areaResize(image, h, w);
  }
  const top = max(x);
  return top > 0 ? x.map((v) => v / top) : x;
}

export function quantize(x) {  // -> k / 15, the levels a link holds
  return x.map((v) => roundHalfEven(v * LEVELS) / LEVELS);
}

export function toLink(x) {
  // (N,) of k / 15 -> base64url, two pixels a byte (the first in the high 4 bits)
  const bytes = new Uint8Array(Math.ceil(x.length / 2));
  x.forEach((v, i) => { bytes[i >> 1] |= roundHalfEven(v * LEVELS) << (i % 2 ? 0 : 4); });
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromLink(text, count) {
  // the inverse of toLink: (count,) of k / 15
  const raw = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const x = new Float64Array(count);
  for (let i = 0; i < count; i++) x[i] = ((raw.charCodeAt(i >> 1) >> (i % 2 ? 0 : 4)) & 15) / LEVELS;
  return x;
}

export function fromPixelsText(text) {
  // a picture the board's server sends (routes/board/models.py pixels_text): base64url of one byte a pixel,
  // round(255 x), in (C, H, W) order -> (C*H*W,) in [0, 1]
  const raw = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Float64Array.from(raw, (c) => c.charCodeAt(0) / 255);
}

// ---- the steps, as vae/data.py names them --------------------------------------------------------------

export function areaResize({ data, height, width }, h, w) {
  // (h*w,): each output pixel the mean of the input over the area it covers
  const rows = areaWeights(h, height), cols = areaWeights(w, width);
  const across = new Float64Array(height * w);  // image @ cols.T, (H, w)
  for (let r = 0; r < height; r++) {
    for (let j = 0; j < w; j++) {
      let sum = 0;
      for (const [c, share] of cols[j]) sum += data[r * width + c] * share;
      across[r * w + j] = sum;
    }
  }
  const out = new Float64Array(h * w);  // rows @ across
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let sum = 0;
      for (const [r, share] of rows[i]) sum += across[r * w + j] * share;
      out[i * w + j] = sum;
    }
  }
  return out;
}

function areaWeights(nOut, nIn) {
  // per output pixel i: [input pixel r, the share of i's span [i, i + 1) * nIn / nOut that r covers]
  const scale = nIn / nOut;
  return Array.from({ length: nOut }, (_, i) => {
    const [lo, hi] = [i * scale, (i + 1) * scale], weights = [];
    for (let r = Math.floor(lo); r < Math.min(nIn, Math.ceil(hi)); r++) {
      const covered = Math.min(hi, r + 1) - Math.max(lo, r);
      if (covered > 0) weights.push([r, covered / scale]);
    }
    return weights;
  });
}

function likeMnist({ data, height, width }, how, side) {
  const paper = median(data), top = max(data);
  const ink = data.map((v) => Math.min(1, Math.max(0, (v - paper) / Math.max(top - paper, 1e-6))));
  for (let i = 0; i < ink.length; i++) if (ink[i] < how.ink_floor) ink[i] = 0;
  const box = bounds(ink, height, width, (v) => v !== 0);
  if (!box) return new Float64Array(side * side);
  const cropped = crop(ink, width, box), [bh, bw] = [box.y1 - box.y0, box.x1 - box.x0];
  const scale = how.box / Math.max(bh, bw);
  const [dh, dw] = [Math.max(1, roundHalfEven(bh * scale)), Math.max(1, roundHalfEven(bw * scale))];
  const digit = areaResize({ data: cropped, height: bh, width: bw }, dh, dw);
  let mass = 0, cy = 0, cx = 0;
  for (let r = 0; r < dh; r++) for (let c = 0; c < dw; c++) {
    const v = digit[r * dw + c];
    [mass, cy, cx] = [mass + v, cy + r * v, cx + c * v];
  }
  const clip = (v, hi) => Math.min(hi, Math.max(0, v));
  const y = clip(roundHalfEven((side - 1) / 2 - cy / mass), side - dh), x = clip(roundHalfEven((side - 1) / 2 - cx / mass), side - dw);
  const out = new Float64Array(side * side);
  for (let r = 0; r < dh; r++) for (let c = 0; c < dw; c++) out[(y + r) * side + x + c] = digit[r * dw + c];
  return out;
}

function cropToContent(image, margin, level) {
  // a square around the content (above level x the brightest), with margin (a share of the side) all round
  const { data, height, width } = image, top = max(data);
  const box = top > 0 ? bounds(data, height, width, (v) => v > level * top) : null;
  if (!box) return image;
  const [bh, bw] = [box.y1 - box.y0, box.x1 - box.x0], side = Math.max(bh, bw);
  const framed = Math.ceil(side / (1 - 2 * margin));
  const out = new Float64Array(framed * framed), [oy, ox] = [Math.floor((framed - bh) / 2), Math.floor((framed - bw) / 2)];
  for (let r = 0; r < bh; r++) for (let c = 0; c < bw; c++) out[(oy + r) * framed + ox + c] = data[(box.y0 + r) * width + box.x0 + c];
  return { data: out, height: framed, width: framed };
}

function bounds(data, height, width, inside) {  // the smallest box holding every pixel inside() accepts
  let [y0, y1, x0, x1] = [height, 0, width, 0];
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) {
    if (!inside(data[r * width + c])) continue;
    [y0, y1, x0, x1] = [Math.min(y0, r), Math.max(y1, r + 1), Math.min(x0, c), Math.max(x1, c + 1)];
  }
  return y1 > 0 ? { y0, y1, x0, x1 } : null;
}

function crop(data, width, { y0, y1, x0, x1 }) {
  const out = new Float64Array((y1 - y0) * (x1 - x0));
  for (let r = y0; r < y1; r++) out.set(data.subarray(r * width + x0, r * width + x1), (r - y0) * (x1 - x0));
  return out;
}

export function roundHalfEven(v) {  // as Python's round and numpy's
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function max(values) {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}

function median(values) {  // as numpy's: the middle value, or the mean of the middle two
  const a = Float64Array.from(values), n = a.length, upper = select(a, n >> 1);
  return n % 2 ? upper : (upper + max(a.subarray(0, n >> 1))) / 2;  // select left the lower half below upper
}

function select(a, k) {
  // the k-th smallest of a (Hoare's selection, in place): afterwards a[k] holds it, smaller values before it
  let [lo, hi] = [0, a.length - 1];
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let [i, j] = [lo, hi];
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) [a[i], a[j], i, j] = [a[j], a[i], i + 1, j - 1];
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}
