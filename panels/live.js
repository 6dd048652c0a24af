// The explorer's interactive core, in the browser: panels/live.py joins decoder.js, this file and
// live.css into one module, which loader.js imports once per page. Every input event recomputes z,
// the KL and the decodings here, in the same frame; the K decodings of the stochastic panel follow;
// the server only hears the settled code: once on release, or after a pause in key presses.
//
// Python sends large things (weights, the input, test codes) once per page as "blobs" keyed by id
// and later only their ids; a blob this page lacks is asked for again (trigger "missing").

const KEY_PAUSE_MS = 40;  // a run of key presses (a held key repeats every ~33 ms) commits once, after it
const UNANSWERED_MS = 5000;  // a commit the server has not answered by then: it may have restarted or died
const blobs = new Map();  // id -> decoder | Float32Array | object | Error, for the page's life
const instances = new WeakMap();  // parentElement -> Explorer | Samples | Pad
const timings = (globalThis.__liveTimings ??= []);  // per input event, ms: {wait, work, total}, for benchmarks
const settled = (globalThis.__liveSettled ??= []);  // per commit the server has answered: {seq, at}, for benchmarks
const panelTimings = (globalThis.__samplesTimings ??= []);  // per redraw of the K decodings, ms, for benchmarks
const followers = new Set();  // panels drawn from the explorer's code as it moves (Samples)

export default function (component) {
  const { parentElement } = component, data = component.data.live;  // what live.py's _mount sends
  for (const [id, blob] of Object.entries(data.blobs ?? {})) if (!blobs.has(id)) blobs.set(id, unpack(blob));  // ids name content
  let instance = instances.get(parentElement);
  if (!instance) {
    instance = new { pad: Pad, samples: Samples, explorer: Explorer }[data.mode](parentElement);
    instances.set(parentElement, instance);
    parentElement.append(element("style", {}, STYLE));  // live.css, joined to this code by live.py
  }
  instance.api = component;
  instance.pending = data;
  render(instance, true);
}

function render(instance, firstLook) {
  const data = instance.pending, missing = instance.needs(data).filter((id) => !blobs.has(id));
  if (!missing.length) return instance.update(data);
  // components of one rerun share their blobs, each sent once: another may bring them this frame
  if (firstLook) requestAnimationFrame(() => instance.pending === data && render(instance, false));
  else instance.api.setTriggerValue("missing", missing);
}

function unpack({ type, data, name }) {
  // safetensors: a decoder's weights file as base64; float32: little-endian floats as base64; json: as it is
  if (type === "json") return data;
  const bytes = fromBase64(data);
  if (type === "float32") return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  try {
    const decoder = makeDecoder(readSafetensors(bytes));
    const z = new Array(decoder.card.latent_dim).fill(0.5);
    for (let i = 0; i < 3; i++) decoder.decodePair(z, z);  // the JIT compiles its loops now, not in the first drag
    return decoder;
  } catch (error) {
    return new Error(`The weights of ${name} cannot be used in the browser: ${error.message}.`);
  }
}

function fromBase64(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const raw = atob(text), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function element(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

const signed = (v) => (v < 0 ? "−" : "+") + Math.abs(v).toFixed(2);

function paint(canvas, values, shape) {
  // values (C*H*W,) in [0, 1] -> grey (C = 1) or colour (C = 3) pixels on a canvas of H x W
  const [channels, height, width] = shape;
  if (canvas.width !== width) Object.assign(canvas, { width, height });
  const context = canvas.getContext("2d"), image = context.createImageData(width, height);
  const plane = height * width, rgba = image.data;  // read once: each .data is a call into the browser
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.round(255 * values[(channels === 3 ? c : 0) * plane + p]);
    rgba[4 * p + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

function decoded(logits) {  // x_hat in [0, 1]
  const pixels = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) pixels[i] = sigmoid(logits[i]);
  return pixels;
}

function finite(values) {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

const notFinite = (name, what) => `The VAE's decoder (${name}) gave values that are not finite for ${what}, ` +
  "so it is not drawn. Move the sliders back or press Reset.";

function figure(testId, caption) {
  const canvas = element("canvas", { "data-testid": testId, role: "img", "aria-label": caption });
  return { box: element("figure", {}, canvas, element("figcaption", {}, caption)), canvas };
}

// ---- the explorer: pictures, one row of controls per latent dimension, and the readouts -----------

const PICTURES = {
  input: "Input",
  ae: "AE: decodes z = f(y)",
  vae_z: "VAE: decodes z = mu + sigma·eps",
  vae_mu: "VAE: decodes mu alone",
};
const TEST_IDS = { input: "input-image", ae: "decode-ae", vae_z: "decode-vae-z", vae_mu: "decode-vae-mu" };

class Explorer {
  constructor(root) {
    this.root = root;
    this.seq = 0;  // commits sent; the server echoes the last one it has heard
    this.seed = -1;
    this.dirty = false;  // moved here and not yet committed
    this.held = false;  // a pointer is down on a slider
    this.layout = null;
    window.addEventListener("pointerup", () => this.release());
    window.addEventListener("pointercancel", () => this.release());
  }

  needs(data) {
    return [data.ae.weights, data.vae.weights, data.x];
  }

  update(data) {
    const problem = [data.ae.weights, data.vae.weights].map((id) => blobs.get(id)).find((b) => b instanceof Error);
    const layout = JSON.stringify([data.dim, data.parts, data.collapsed, data.ranges]);
    if (layout !== this.layout) this.build(data);
    this.layout = layout;
    if (data.seq >= this.seq) this.answered();
    this.message(problem ? problem.message : "");
    if (problem) return;
    this.data = data;
    this.ae = blobs.get(data.ae.weights);
    this.vae = blobs.get(data.vae.weights);
    this.x = blobs.get(data.x);
    const fresh = data.encoding !== this.encoding;  // a new input or model: the server's code wins
    if (fresh || (!this.dirty && !this.held && data.seq >= this.seq)) {
      this.mu = [...data.code.mu];
      this.sigma = [...data.code.sigma];
      if (data.seq > 0 && data.seq >= this.seq) settled.push({ seq: data.seq, at: performance.now() });
      if (settled.length > 2000) settled.splice(0, 1000);
      this.seq = Math.max(this.seq, data.seq);
    }
    if (fresh || data.seed >= this.seed) {
      [this.seed, this.eps, this.epsNext] = [data.seed, data.eps, data.eps_next];
    }
    this.encoding = data.encoding;
    this.drawInput();
    this.draw();
  }

  build(data) {
    const parts = data.parts;
    // classes for live.css: large type (presenter), and whether the readouts are shown
    const rows = data.collapsed.filter((c) => !(c && parts.fold)).length;
    const root = element("div", { class: "live explorer" + (parts.large ? " large" : "") + (parts.readouts ? "" : " no-readouts") +
      (parts.large && rows > 6 ? " dense" : "") });  // dense: eight rows still fit a 720-px projector
    this.pictures = {};
    const row = element("div", { class: "pictures" });
    for (const name of parts.pictures) {
      const { box, canvas } = figure(TEST_IDS[name], PICTURES[name]);
      this.pictures[name] = canvas;
      row.append(box);
    }
    this.note = element("div", { class: "message", role: "alert" });
    const reload = element("button", { type: "button" }, "Reload");
    reload.addEventListener("click", () => location.reload());
    this.unanswered = element("div", { class: "message", role: "alert", "data-testid": "unanswered", hidden: "" },
      `The server has not answered your last move for ${UNANSWERED_MS / 1000} s: it may have restarted. ` +
      "Reload the page; its link keeps this view. ", reload);
    root.append(row, element("div", { class: "notes" }, this.note, this.unanswered));
    const body = element("div", { class: "body" });
    if (parts.sliders) body.append(this.buildSliders(data));
    if (parts.readouts) body.append(this.buildReadouts(data));
    root.append(body);
    this.root.querySelector(".live")?.remove();
    this.root.append(root);
  }

  buildSliders(data) {
    const box = element("div", { class: "code" });
    this.seedText = element("span", { class: "seed" });
    const resample = element("button", { type: "button" }, "Resample eps");
    const reset = element("button", { type: "button" }, "Reset");
    resample.addEventListener("click", () => this.resample());
    reset.addEventListener("click", () => this.reset());
    box.append(element("div", { class: "buttons" }, resample, reset, this.seedText));
    const table = element("div", { class: "dims" });
    // one class per column, so live.css can leave a column out (the AE's z and the KL in presenter steps)
    const columns = ["dim", "ae", "mu", "mu", "sigma", "sigma", "eps", "z", "kl", "kl"];
    const headings = ["", "AE z", "mu", "", "sigma", "", "eps", "z", "KL (nats)", ""];
    table.append(...headings.map((h, i) => element("span", { class: `head ${columns[i]}` }, h)));
    this.rows = [];
    for (let d = 0; d < data.dim; d++) {
      const collapsed = data.collapsed[d];
      if (collapsed && data.parts.fold) continue;
      const cells = {
        aeZ: element("span", { class: "num ae" }),
        mu: this.slider(`mu_${d}`, data.ranges.mu[d], data.steps.mu, d, "mu"),
        muText: element("output", { class: "num mu" }),
        sigma: this.slider(`sigma_${d}`, data.ranges.sigma[d], data.steps.sigma, d, "sigma"),
        sigmaText: element("output", { class: "num sigma" }),
        eps: element("span", { class: "num eps" }),
        z: element("span", { class: "num z" }),
        bar: element("i"),
        kl: element("span", { class: "num kl" }),
      };
      const name = element("span", { class: "dim" + (collapsed ? " collapsed" : "") }, `z${d}`);
      if (collapsed) name.title = `z${d} is collapsed: average KL ${data.average_kl[d].toFixed(3)} nats over the test split; the decoder ignores it.`;
      table.append(name, cells.aeZ, cells.mu, cells.muText, cells.sigma, cells.sigmaText, cells.eps, cells.z,
        element("span", { class: "bar kl" }, cells.bar), cells.kl);
      this.rows.push({ d, ...cells });
    }
    box.append(table);
    const folded = data.collapsed.map((c, d) => (c ? `z${d}` : null)).filter(Boolean);
    if (folded.length) {
      box.append(element("p", { class: "caption" }, (data.parts.fold ? "Not shown, collapsed: " : "Collapsed: ") +
        `${folded.join(", ")} (average KL ≈ 0 nats; the decoder ignores them).`));
    }
    return box;
  }

  slider(label, [min, max], step, d, which) {
    const input = element("input", { type: "range", "aria-label": label, class: which, min, max, step });
    input.addEventListener("input", (event) => {
      this[which][d] = input.valueAsNumber;
      this.dirty = true;
      this.draw(event.timeStamp);
    });
    input.addEventListener("pointerdown", () => { this.held = true; });
    input.addEventListener("change", () => {
      clearTimeout(this.timer);
      // keys: commit after a pause; a pointer commits on release (and its change event comes after that)
      if (!this.held && this.dirty) this.timer = setTimeout(() => this.commit(), KEY_PAUSE_MS);
    });
    return input;
  }

  buildReadouts(data) {
    this.klTotal = element("div", { class: "kl-total", "data-testid": "kl-total" });
    this.klCaption = element("div", { class: "caption" });
    this.figures = element("div", { class: "figures" });
    this.loss = element("p", { class: "loss" });
    const kl = element("div", { class: "kl-block" }, element("div", { class: "label" }, "KL(q(z|x) ‖ N(0, I))"),
      element("div", { class: "kl-line" }, this.klTotal, this.klCaption));
    return element("div", { class: "readouts" }, kl, this.figures, this.loss);
  }

  release() {
    if (!this.held) return;
    this.held = false;
    if (this.dirty) this.commit();  // the release is the commit
  }

  commit() {
    clearTimeout(this.timer);
    this.seq += 1;
    this.dirty = false;
    this.api.setStateValue("code", { mu: this.mu, sigma: this.sigma, seq: this.seq });
    this.announce();
    clearTimeout(this.waiting);
    this.waiting = setTimeout(() => { this.unanswered.hidden = false; }, UNANSWERED_MS);
  }

  answered() {
    // the server has heard the last commit (a failed-over page never hears it: Streamlit drops the
    // fragment reruns a new server never ran, so the page says so rather than silently stop following)
    clearTimeout(this.waiting);
    this.unanswered.hidden = true;
  }

  announce() {
    // the code as it is now, for the panels that follow it; "moving" while a hand is on a slider
    const code = { mu: this.mu, sigma: this.sigma, encoding: this.encoding, moving: this.dirty || this.held };
    for (const follower of followers) follower.follow(code);
  }

  reset() {
    this.mu = [...this.data.mu0];
    this.sigma = [...this.data.sigma0];
    this.draw();
    this.commit();
  }

  resample() {
    this.seed += 1;
    if (this.epsNext) [this.eps, this.epsNext] = [this.epsNext, null];  // drawn now; the server confirms
    this.draw();
    this.api.setTriggerValue("resample", this.seed);
  }

  message(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  drawInput() {
    const { data } = this;
    if (this.pictures.input) paint(this.pictures.input, this.x, data.shape);
    this.aeLogits = this.ae.decodeLogits(data.ae_z);
    if (this.pictures.ae) paint(this.pictures.ae, decoded(this.aeLogits), data.shape);
    this.aeNats = reconstructionNats(this.aeLogits, this.x);
    for (const row of this.rows ?? []) row.aeZ.textContent = signed(data.ae_z[row.d]);
    if (this.pictures.input) this.pictures.input.nextSibling.textContent = `Input: ${data.caption}`;
  }

  draw(eventTime) {
    const start = performance.now();
    const { data, mu, sigma, eps } = this;
    const z = reparameterize(mu, sigma, eps);
    const muKey = `${this.data.vae.weights} ${mu}`;  // a sigma move or a resample leaves mu's picture as it is
    let logitsZ;
    if (this.pictures.vae_mu && muKey !== this.muKey) {  // a mu move: both decodings in one pass over the weights
      [logitsZ, this.logitsMu] = this.vae.decodePair(z, mu);
      this.muKey = muKey;
    } else {
      logitsZ = this.vae.decodeLogits(z);
    }
    const logitsMu = this.pictures.vae_mu ? this.logitsMu : null;
    const trouble = [[logitsZ, "z"], [logitsMu, "mu"]].find(([l]) => l && !finite(l));
    this.message(trouble ? notFinite(data.vae.name, `this ${trouble[1]}`) : "");
    if (!trouble) {
      if (this.pictures.vae_z) paint(this.pictures.vae_z, decoded(logitsZ), data.shape);
      if (logitsMu) paint(this.pictures.vae_mu, decoded(logitsMu), data.shape);
    }
    const kl = klPerDim(mu, sigma);
    const total = kl.reduce((a, b) => a + b, 0);
    const largest = Math.max(1, ...kl);
    for (const row of this.rows ?? []) {
      const d = row.d;
      if (!this.dirty) [row.mu.value, row.sigma.value] = [mu[d], sigma[d]];  // never under a moving hand
      row.muText.textContent = signed(mu[d]);
      row.sigmaText.textContent = sigma[d].toFixed(2);
      row.eps.textContent = signed(eps[d]);
      row.z.textContent = signed(z[d]);
      row.kl.textContent = kl[d].toFixed(3);
      row.bar.style.width = `${(100 * kl[d]) / largest}%`;
    }
    if (this.seedText) this.seedText.textContent = `eps seed ${this.seed}`;
    if (this.klTotal) {
      const vaeNats = reconstructionNats(logitsZ, this.x), beta = data.vae.beta;
      this.klTotal.textContent = `${total.toFixed(3)} nats`;
      this.klCaption.textContent = `summed over the ${mu.length} dims of z, for this input`;
      const pixels = data.shape.reduce((a, b) => a * b, 1);
      this.figures.replaceChildren(
        element("div", {}, element("span", {}, "AE reconstruction loss"), element("b", {}, `${this.aeNats.toFixed(2)} nats`)),
        element("div", {}, element("span", {}, "VAE reconstruction loss, this z"), element("b", {}, `${vaeNats.toFixed(2)} nats`)),
        element("div", { class: "caption" }, `cross-entropy summed over the ${pixels} pixels`));
      // the sum of the rounded terms, so that the line adds up as read; L_AE's term is the VAE's reconstruction
      const [nats, kl2] = [vaeNats.toFixed(2), total.toFixed(2)], times = beta === 1 ? "" : `${beta} × `;
      this.loss.textContent = `L_VAE = reconstruction + ${beta === 1 ? "" : "beta·"}KL = ${nats} + ${times}${kl2} = ` +
        `${(Number(nats) + beta * Number(kl2)).toFixed(2)} nats`;
    }
    if (eventTime !== undefined) {
      const end = performance.now();
      timings.push({ wait: start - eventTime, work: end - start, total: end - eventTime });
      if (timings.length > 2000) timings.splice(0, 1000);
    }
    this.announce();
  }
}

// ---- K encodings of the same input: the AE's one z against the VAE's mu + sigma * eps_k -----------

const FOLLOW_BUDGET_MS = 12;  // a panel that redraws slower than this follows a moving slider only once it settles

class Samples {
  constructor(root) {
    this.root = root;
    this.layout = null;
    this.code = null;  // the explorer's latest code, when it is for this panel's input
    this.cost = Infinity;  // ms the fastest redraw has taken with these weights and this K (the first ones warm up)
    this.timed = 0;  // redraws timed into cost
    this.frame = 0;
    followers.add(this);
  }

  needs(data) {
    return [data.vae.weights, ...(data.ae ? [data.ae.weights] : [])];
  }

  update(data) {
    const problem = this.needs(data).map((id) => blobs.get(id)).find((b) => b instanceof Error);
    const layout = JSON.stringify([data.k, data.shown, data.cols, data.tile, data.shape, !!data.ae, data.caption,
      data.large]);
    if (layout !== this.layout) this.build(data);
    if (layout !== this.layout || data.vae.weights !== this.data?.vae.weights) [this.cost, this.timed] = [Infinity, 0];
    this.layout = layout;
    this.note.textContent = problem ? problem.message : "";
    this.note.hidden = !problem;
    if (problem) return;
    if (data.encoding !== this.data?.encoding || !this.code) this.code = data.code;
    this.data = data;
    this.drawAe();
    this.drawVae();
    if (this.timed < 2 && this.cost > FOLLOW_BUDGET_MS) {  // the first redraw was cold: time a warm one
      setTimeout(() => this.root.isConnected && this.drawVae(), 100);
    }
  }

  drawn(code) {  // this code, with these eps, is what the VAE's row shows now
    const last = this.lastDrawn;
    return last && last.data === this.data && ["mu", "sigma"].every((k) => last[k].every((v, d) => v === code[k][d]));
  }

  build(data) {
    const root = element("div", { class: "live samples" + (data.large ? " large" : "") });
    this.note = element("div", { class: "message", role: "alert" });
    this.rows = {};
    for (const which of data.ae ? ["ae", "vae"] : ["vae"]) {
      const text = element("p", { "data-testid": `samples-${which}-note` });
      const grid = element("canvas", { "data-testid": `samples-${which}`, role: "img", "aria-label": `${which} decodings` });
      const pictures = [grid];
      const row = { text, grid };
      if (data.stats) {
        row.mean = element("canvas", { "data-testid": `samples-${which}-mean`, role: "img", "aria-label": "per-pixel mean" });
        row.std = element("canvas", { "data-testid": `samples-${which}-std`, role: "img", "aria-label": "per-pixel std" });
        pictures.push(row.mean, row.std);
      }
      root.append(text, element("div", { class: "tiles" }, ...pictures), element("p", { class: "caption" }, data.caption));
      this.rows[which] = row;
    }
    root.append(this.note);
    this.root.querySelector(".live")?.remove();
    this.root.append(root);
  }

  follow(code) {
    if (!this.root.isConnected) return followers.delete(this);
    if (!this.data || code.encoding !== this.data.encoding || this.drawn(code)) return;
    this.code = code;
    if (code.moving && this.cost > FOLLOW_BUDGET_MS) return;  // too slow to keep up with a hand: on release
    if (!this.frame) this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawVae();
    });
  }

  drawAe() {
    // z = f(y) is one point: every one of the K decodings is the same picture; redrawn only when it changes
    const { data } = this, shows = data.ae && `${this.layout} ${data.ae.weights} ${data.ae.z}`;
    if (!data.ae || shows === this.aeShows) return;
    this.aeShows = shows;
    const image = decoded(blobs.get(data.ae.weights).decodeLogits(data.ae.z));
    this.drawRow(this.rows.ae, Array(data.k).fill(image), "AE", "z = f(y) is the same every time");
  }

  drawVae() {
    const start = performance.now();
    const { data } = this, { mu, sigma } = this.code, model = blobs.get(data.vae.weights), dim = mu.length;
    const zs = [];
    for (let k = 0; k < data.k; k++) zs.push(reparameterize(mu, sigma, data.eps.slice(k * dim, (k + 1) * dim)));
    const logits = [];
    for (let k = 0; k < zs.length; k += 2) {  // two at a time: a pair shares each pass over the weights
      logits.push(...(k + 1 < zs.length ? model.decodePair(zs[k], zs[k + 1]) : [model.decodeLogits(zs[k])]));
    }
    this.lastDrawn = { data, mu: [...mu], sigma: [...sigma] };
    const broken = !logits.every(finite);
    this.note.textContent = broken ? notFinite(data.vae.name, "some of the K draws of z") : "";
    this.note.hidden = !broken;
    if (!broken) this.drawRow(this.rows.vae, logits.map(decoded), "VAE", "a new eps each time, with the current mu and sigma");
    const cost = performance.now() - start;
    this.cost = Math.min(this.cost, cost);
    this.timed += 1;
    panelTimings.push(cost);
    if (panelTimings.length > 2000) panelTimings.splice(0, 1000);
  }

  drawRow(row, images, name, says) {
    const { data } = this;
    paintTiles(row.grid, images.slice(0, data.shown), data.cols, data.shape, data.tile);
    const [mean, std] = meanAndStd(images);
    if (row.mean) {
      paintTiles(row.mean, [mean], 1, data.shape, STAT_PX);
      paintTiles(row.std, [std.map((s) => 2 * s)], 1, data.shape, STAT_PX);  // white is std 0.5, the most [0, 1] allows
    }
    row.text.replaceChildren(element("b", {}, name), `: ${says}. Largest per-pixel std: `,
      element("b", {}, Math.max(...std).toFixed(3)));
  }
}

const STAT_PX = 120, GAP_PX = 2;

function paintTiles(canvas, images, cols, shape, size) {
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

const tile = document.createElement("canvas");  // one image at its own size, before it is scaled into a grid

function meanAndStd(images) {
  // per-pixel mean and (population) standard deviation over the images, as numpy's mean and std; the
  // mean as a running update, so that identical images (the AE's) give exactly their value and std 0
  const mean = new Float64Array(images[0].length), std = new Float64Array(mean.length);
  images.forEach((image, k) => { for (let p = 0; p < mean.length; p++) mean[p] += (image[p] - mean[p]) / (k + 1); });
  for (const image of images) for (let p = 0; p < mean.length; p++) std[p] += (image[p] - mean[p]) ** 2 / images.length;
  return [mean, std.map(Math.sqrt)];
}

// ---- the 2-D pad: one z on the AE's plane and the VAE's, both decoded as it moves -----------------

const LABEL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
const PLANE_PX = 260;

class Pad {
  constructor(root) {
    this.root = root;
    this.layout = null;
  }

  needs(data) {
    return [data.ae.weights, data.vae.weights, data.ae.codes, data.vae.codes];
  }

  update(data) {
    const layout = JSON.stringify([data.dims, data.ae.codes, data.vae.codes, data.encoding]);
    if (layout !== this.layout) {
      this.point = data.start.slice();  // the VAE's mu in these two dims
      this.build(data);
    }
    this.layout = layout;
    this.data = data;
    this.draw();
  }

  build(data) {
    const root = element("div", { class: "live pad" });
    this.planes = ["ae", "vae"].map((which) => {
      const plane = element("canvas", { width: PLANE_PX, height: PLANE_PX, "data-testid": `pad-${which}`,
        role: "img", "aria-label": `${data[which].title}: drag the point` });
      const { box, canvas } = figure(`pad-decode-${which}`, `${which.toUpperCase()} decoder`);
      const kl = element("div", { class: "caption" });
      root.append(element("div", { class: "plane" }, element("div", { class: "title" }, data[which].title),
        element("div", { class: "row" }, plane, element("div", {}, box, kl))));
      const codes = blobs.get(data[which].codes);
      const extent = extentOf(codes.points);
      plane.addEventListener("pointerdown", (event) => {
        plane.setPointerCapture(event.pointerId);
        this.move(plane, extent, event);
      });
      plane.addEventListener("pointermove", (event) => {
        if (plane.hasPointerCapture(event.pointerId)) this.move(plane, extent, event);
      });
      return { which, plane, canvas, kl, codes, extent, background: null };
    });
    this.root.querySelector(".live")?.remove();
    this.root.append(root);
  }

  move(plane, extent, event) {
    const box = plane.getBoundingClientRect();
    const [x0, x1, y0, y1] = extent;
    this.point = [x0 + ((event.clientX - box.left) / box.width) * (x1 - x0),
      y1 - ((event.clientY - box.top) / box.height) * (y1 - y0)];
    this.draw(event.timeStamp);
  }

  draw(eventTime) {
    const start = performance.now();
    const { data } = this;
    const [a, b] = data.dims;
    for (const p of this.planes) {
      const model = blobs.get(data[p.which].weights);
      if (model instanceof Error) {
        p.kl.textContent = model.message;
        continue;
      }
      const z = data[p.which].base.slice();
      z[a] = this.point[0];
      z[b] = this.point[1];
      paint(p.canvas, decoded(model.decodeLogits(z)), data.shape);
      this.drawPlane(p);
      const sigma = [data.sigma[a], data.sigma[b]];
      const kl = klPerDim(this.point, sigma).reduce((s, v) => s + v, 0);
      p.kl.textContent = `z${a} = ${signed(this.point[0])}, z${b} = ${signed(this.point[1])}. ` +
        `KL if mu were here: ${kl.toFixed(2)} nats (these 2 dims, sigma as set)`;
    }
    if (eventTime !== undefined) {
      const end = performance.now();
      timings.push({ wait: start - eventTime, work: end - start, total: end - eventTime, pad: true });
    }
  }

  drawPlane(p) {
    const context = p.plane.getContext("2d");
    if (!p.background) {  // the codes and the prior's circles: drawn once, then copied
      p.background = document.createElement("canvas");
      Object.assign(p.background, { width: PLANE_PX, height: PLANE_PX });
      const g = p.background.getContext("2d");
      g.fillStyle = "#fff";
      g.fillRect(0, 0, PLANE_PX, PLANE_PX);
      const { points, labels } = p.codes;
      for (let i = 0; i < labels.length; i++) {
        const [x, y] = toPixel(p.extent, points[2 * i], points[2 * i + 1]);
        g.fillStyle = LABEL_COLOURS[labels[i] % 10];
        g.globalAlpha = 0.55;
        g.fillRect(x - 1.5, y - 1.5, 3, 3);
      }
      g.globalAlpha = 1;
      g.strokeStyle = "#222";
      g.setLineDash([5, 4]);
      for (const r of [1, 2]) {  // the prior N(0, I) at 1 and 2 sigma
        const [cx, cy] = toPixel(p.extent, 0, 0), [ex] = toPixel(p.extent, r, 0);
        g.beginPath();
        g.arc(cx, cy, ex - cx, 0, 2 * Math.PI);
        g.stroke();
      }
    }
    context.drawImage(p.background, 0, 0);
    const [x, y] = toPixel(p.extent, this.point[0], this.point[1]);
    context.fillStyle = "#000";
    context.strokeStyle = "#fff";
    context.lineWidth = 2;
    context.beginPath();
    context.arc(x, y, 7, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  }
}

function extentOf(points) {
  // a square view holding the prior's 2.5 sigma and the codes (their 1st to 99th percentile)
  const xs = [], ys = [];
  for (let i = 0; i < points.length; i += 2) xs.push(points[i]), ys.push(points[i + 1]);
  const lo = (v) => v.sort((a, b) => a - b)[Math.floor(0.01 * (v.length - 1))];
  const hi = (v) => v.sort((a, b) => a - b)[Math.ceil(0.99 * (v.length - 1))];
  const half = Math.max(2.5, ...[lo(xs), hi(xs), lo(ys), hi(ys)].map(Math.abs)) * 1.05;
  return [-half, half, -half, half];
}

function toPixel([x0, x1, y0, y1], x, y) {
  return [((x - x0) / (x1 - x0)) * PLANE_PX, ((y1 - y) / (y1 - y0)) * PLANE_PX];
}
