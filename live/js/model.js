// The browser's half of vae/models.py and vae/objective.py: the encoders and decoders, read from the
// same .safetensors files the backend loads, and the seed's formulas. Pure functions of typed arrays,
// free of the DOM (node imports this file in the parity tests). Shapes in comments as in
// vae/models.py; numbers accumulate in float64, weights stay float32.

// ---- safetensors: an 8-byte little-endian header length, a JSON header, then raw LE data ----

export function readSafetensors(bytes) {
  // bytes: Uint8Array of a whole file -> { card, tensors: { name: { shape, data: Float32Array } } }; the
  // server sends F16 (routes/files.py: half the bytes), which a Float32Array holds exactly
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw new Error(`too short to be a safetensors file (${bytes.byteLength} bytes)`);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw new Error("its header runs past the end of the file");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const start = 8 + headerLength;
  const tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    tensors[name] = { shape: info.shape, data: toFloat32(bytes, start + begin, start + end, info.dtype, count, name) };
  }
  const card = JSON.parse(header.__metadata__?.card ?? "null");
  if (!card) throw new Error("its metadata has no model card");
  return { card, tensors };
}

function toFloat32(bytes, begin, end, dtype, count, name) {
  const size = { F32: 4, F16: 2 }[dtype];
  if (!size) throw new Error(`tensor ${name} has dtype ${dtype}; only F32 and F16 are read`);
  if (end - begin !== count * size) throw new Error(`tensor ${name} has ${end - begin} bytes for ${count} values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + begin, end - begin);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = size === 4 ? view.getFloat32(4 * i, true) : float16(view.getUint16(2 * i, true));
  }
  return out;
}

function float16(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

// ---- the networks, as vae/models.py builds them ----------------------------------------------------
// trunk.{i}: Linear or Conv2d(k=4, stride=2, padding=1) layers, each followed by a ReLU (Flatten only
// reshapes); heads f (AE) or g and h (VAE): Linear. decoder.{i}: Linear or ConvTranspose2d(k=4,
// stride=2, padding=1) layers, with a ReLU after every layer but the last (Unflatten only reshapes).

function layers(tensors, prefix, fourD) {
  // the numbered layers under prefix, in order; a 4-D weight is a convolution of kind fourD
  const indices = [...new Set(Object.keys(tensors).filter((k) => k.startsWith(`${prefix}.`))
    .map((k) => Number(k.split(".")[1])))].sort((a, b) => a - b);
  if (!indices.length) throw new Error(`it has no ${prefix} tensors`);
  return indices.map((i) => {
    const weight = tensors[`${prefix}.${i}.weight`], bias = tensors[`${prefix}.${i}.bias`];
    if (!weight || !bias) throw new Error(`${prefix} layer ${i} lacks its weight or bias`);
    return weight.shape.length === 2 ? linear(weight, bias) : fourD(weight, bias);
  });
}

function relu(h) {
  for (let j = 0; j < h.length; j++) if (h[j] < 0) h[j] = 0;
  return h;
}

export function makeEncoder(file) {
  // x (C*H*W,) in [0, 1] -> { mu (D,), logSigma (D,) or null for an AE }, as model.encode(x)
  const { card, tensors } = file;
  const trunk = layers(tensors, "trunk", conv);
  const heads = card.kind === "ae" ? ["f"] : ["g", "h"];
  const [first, second] = heads.map((name) => {
    if (!tensors[`${name}.weight`] || !tensors[`${name}.bias`]) throw new Error(`it lacks head ${name}`);
    return linear(tensors[`${name}.weight`], tensors[`${name}.bias`]);
  });
  const [channels, height, width] = card.image_shape;
  return (x) => {
    if (x.length !== channels * height * width) throw new Error(`the input has ${x.length} values, not C*H*W`);
    let h = Float64Array.from(x);
    for (const layer of trunk) h = relu(layer([h])[0]);  // y: the trunk's output
    return { mu: Array.from(first([h])[0]), logSigma: second ? Array.from(second([h])[0]) : null };
  };
}

export function makeDecoder(file) {
  // z (D,) -> logits (C*H*W,); decodePair decodes two z in one pass over the weights
  const { card, tensors } = file;
  const decoder = layers(tensors, "decoder", convTranspose);
  const [channels, height, width] = card.image_shape;
  const decodeBatch = (zs) => {  // one or two z (D,) -> as many logits (C*H*W,)
    let hs = zs.map((z) => Float64Array.from(z));
    decoder.forEach((layer, i) => {
      hs = layer(hs);
      if (i < decoder.length - 1) hs.forEach(relu);
    });
    if (hs[0].length !== channels * height * width) throw new Error(`the decoder gives ${hs[0].length} values, not C*H*W`);
    return hs;
  };
  return { card, decodeLogits: (z) => decodeBatch([z])[0], decodePair: (z1, z2) => decodeBatch([z1, z2]) };
}

function addScaled(y1, v1, y2, v2, w, from, to, n) {
  // y1[to + o] += v1 * w[from + o] and y2 likewise, for o < n: a pair shares each load of w
  if (v1 !== 0 && v2 !== 0) {
    for (let o = 0; o < n; o++) {
      const wo = w[from + o];
      y1[to + o] += v1 * wo;
      y2[to + o] += v2 * wo;
    }
  } else if (v1 !== 0) {
    for (let o = 0; o < n; o++) y1[to + o] += v1 * w[from + o];
  } else if (v2 !== 0) {
    for (let o = 0; o < n; o++) y2[to + o] += v2 * w[from + o];
  }
}

function linear(weight, bias) {
  // weight (out, in); kept transposed (in, out) so that a zero input (after ReLU) skips a whole row
  const [outs, ins] = weight.shape;
  const wT = new Float32Array(ins * outs);
  for (let o = 0; o < outs; o++) for (let i = 0; i < ins; i++) wT[i * outs + o] = weight.data[o * ins + i];
  return (xs) => {  // one or two (in,) -> as many (out,)
    const ys = xs.map(() => Float64Array.from(bias.data));
    const [x1, x2] = xs, [y1, y2 = y1] = ys;
    for (let i = 0; i < ins; i++) addScaled(y1, x1[i], y2, x2 ? x2[i] : 0, wT, i * outs, 0, outs);
    return ys;
  };
}

function conv(weight, bias) {
  // weight (out, in, 4, 4); stride 2, padding 1: (in, H, W) -> (out, H/2, W/2). Computed channels-last
  // with the weights kept as (in, ky, kx, out): the innermost loop adds a contiguous run of outputs.
  const [outs, ins, k] = weight.shape;
  const w = new Float32Array(weight.data.length);
  for (let o = 0; o < outs; o++) for (let i = 0; i < ins; i++) for (let t = 0; t < k * k; t++) {
    w[(i * k * k + t) * outs + o] = weight.data[(o * ins + i) * k * k + t];
  }
  return ([x]) => {  // one (in, H, W) -> one (out, H/2, W/2)
    const side = Math.round(Math.sqrt(x.length / ins)), outSide = side / 2, plane = outSide * outSide;
    const y = new Float64Array(plane * outs);  // (H/2, W/2, out)
    for (let at = 0; at < plane; at++) y.set(bias.data, at * outs);
    for (let oy = 0; oy < outSide; oy++) {
      for (let ox = 0; ox < outSide; ox++) {
        const to = (oy * outSide + ox) * outs;
        for (let ky = 0; ky < k; ky++) {
          const iy = 2 * oy - 1 + ky;
          if (iy < 0 || iy >= side) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = 2 * ox - 1 + kx;
            if (ix < 0 || ix >= side) continue;
            for (let i = 0; i < ins; i++) {
              const v = x[(i * side + iy) * side + ix];
              if (v !== 0) addScaled(y, v, y, 0, w, (i * k * k + ky * k + kx) * outs, to, outs);
            }
          }
        }
      }
    }
    const out = new Float64Array(outs * plane);  // back to (out, H/2, W/2)
    for (let at = 0; at < plane; at++) for (let o = 0; o < outs; o++) out[o * plane + at] = y[at * outs + o];
    return [out];
  };
}

function convTranspose(weight, bias) {
  // weight (in, out, 4, 4); stride 2, padding 1: (in, H, W) -> (out, 2H, 2W). Computed channels-last,
  // with the weights kept as (in, ky, kx, out), so that the innermost loop runs over contiguous memory.
  const [ins, outs, k] = weight.shape;
  const w = new Float32Array(weight.data.length);
  for (let i = 0; i < ins; i++) for (let o = 0; o < outs; o++) for (let t = 0; t < k * k; t++) {
    w[(i * k * k + t) * outs + o] = weight.data[(i * outs + o) * k * k + t];
  }
  return (xs) => {  // one or two (in, H, W) -> as many (out, 2H, 2W)
    const side = Math.round(Math.sqrt(xs[0].length / ins));  // square feature maps, as the models use
    const outSide = 2 * side, plane = outSide * outSide;
    const ys = xs.map(() => {  // (2H, 2W, out)
      const y = new Float64Array(plane * outs);
      for (let at = 0; at < plane; at++) y.set(bias.data, at * outs);
      return y;
    });
    const [x1, x2] = xs, [y1, y2 = y1] = ys;
    for (let i = 0; i < ins; i++) {
      for (let iy = 0; iy < side; iy++) {
        for (let ix = 0; ix < side; ix++) {
          const at = (i * side + iy) * side + ix, v1 = x1[at], v2 = x2 ? x2[at] : 0;
          if (v1 === 0 && v2 === 0) continue;
          // the kernel's columns kx0..kx1 land on outputs ox = 2 ix - 1 + kx inside the map: one run of
          // (kx1 - kx0) * out values, contiguous in both w and y
          const kx0 = Math.max(0, 1 - 2 * ix), kx1 = Math.min(k, outSide + 1 - 2 * ix);
          for (let ky = 0; ky < k; ky++) {
            const oy = 2 * iy - 1 + ky;
            if (oy < 0 || oy >= outSide) continue;
            addScaled(y1, v1, y2, v2, w, (i * k * k + ky * k + kx0) * outs, (oy * outSide + 2 * ix - 1 + kx0) * outs,
              (kx1 - kx0) * outs);
          }
        }
      }
    }
    return ys.map((y) => {  // back to (out, 2H, 2W)
      const out = new Float64Array(outs * plane);
      for (let at = 0; at < plane; at++) for (let o = 0; o < outs; o++) out[o * plane + at] = y[at * outs + o];
      return out;
    });
  };
}

// ---- the seed's formulas ------------------------------------------------------------------------

export const sigmoid = (logit) => 1 / (1 + Math.exp(-logit));

export function reparameterize(mu, sigma, eps) {
  return mu.map((m, d) => m + sigma[d] * eps[d]);  // z = mu + sigma * eps, (D,)
}

export function klPerDim(mu, sigma) {
  // ½ (mu² + sigma² − 2 log sigma − 1) in nats, (D,); in log-sigma form with expm1, as
  // vae.kl_per_dim, so that sigma near 1 keeps its precision
  return mu.map((m, d) => {
    const logSigma = Math.log(sigma[d]);
    return 0.5 * (m * m + Math.expm1(2 * logSigma) - 2 * logSigma);
  });
}

export function reconstructionNats(logits, x) {
  // BCE of x under sigmoid(logits), summed over pixels, nats: softplus(l) − x·l, stable for any l
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i];
    total += Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))) - x[i] * l;
  }
  return total;
}

// L_VAE's line in hundredths, integers, as page/text.py's loss_vae_line writes it: terms ≥ 0, half-way up
const hundredths = (v) => Math.floor(v * 100 + 0.5);
const places = (n) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`;
const twoPlaces = (v) => (Number.isFinite(v) ? places(hundredths(v)) : "not finite");

export function lossVaeLine(reconstruction, beta, kl) {
  // "69.37 + 4 × 8.33 = 102.69 nats": L_VAE = reconstruction + beta × KL as the sum of its rounded terms,
  // so that the line adds up as read; 1e-9 absorbs beta's binary error (0.3 × 5 is 1.4999999999999998)
  const sum = `${twoPlaces(reconstruction)} + ${beta === 1 ? "" : `${beta} × `}${twoPlaces(kl)}`;
  if (!Number.isFinite(reconstruction + kl)) return `${sum} = not finite`;
  return `${sum} = ${places(hundredths(reconstruction) + Math.floor(beta * hundredths(kl) + 0.5 + 1e-9))} nats`;
}
