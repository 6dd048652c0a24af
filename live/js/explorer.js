// The explorer: the pictures, one row of controls per latent dimension, and the readouts. Every input
// event recomputes z, the KL and the decodings here, in the same frame; the server hears the settled
// code once, on release or after a pause in key presses: the values a person moved. A drawing on the pad is
// encoded here as it is drawn, and the server hears it once, when the stroke ends: it encodes it too (torch),
// for the panels, and its code agrees with this one (within 1e-4) rather than replacing it.

import { publish } from "./bus.js";
import { Commits, UNANSWERED_MS, watchServer } from "./commit.js";
import { addToLink, link, moved } from "./link.js";
import { klPerDim, lossVaeLine, reconstructionNats, reparameterize } from "./model.js";
import { offerSlot } from "./dock.js";
import { decoded, element, figure, finite, notFinite, paint, signed } from "./paint.js";
import { hooks, record } from "./hooks.js";
import { Mode } from "./mode.js";
import { loadAll, loaded } from "./store.js";

/**
 * What live/component.py's live_ui sends (ExplorerData there, field by field).
 * @typedef {Object} ExplorerData
 * @property {"explorer"} mode
 * @property {string} server  the server process that drew it
 * @property {ModelRef} ae
 * @property {VaeRef} vae
 * @property {string} x  URL of the input, (C*H*W,) float32
 * @property {number[]} shape  [C, H, W]
 * @property {string} caption
 * @property {string} encoding  names the model and input: a new one moves the sliders to the encoder's output
 * @property {number[]} ae_z  (D,)
 * @property {number[]} mu0  (D,) the encoder's output
 * @property {number[]} sigma0
 * @property {number[]} mu  (D,) the settled code
 * @property {number[]} sigma
 * @property {number} seq  the last commit the server has heard
 * @property {number} seed  of eps
 * @property {number[]} eps  (D,)
 * @property {number[]} eps_next  (D,) the next seed's, drawn at once by Resample eps
 * @property {number} seeds  seeds run 0 … seeds - 1, and Resample eps goes from the last to 0
 * @property {Ranges} ranges
 * @property {Steps} steps
 * @property {boolean[]} collapsed  (D,)
 * @property {number[]} average_kl  (D,) nats, over the test split
 * @property {Parts} parts
 * @property {number} drawing_seq  the last drawing the server has heard (the pad counts them)
 * @property {string} link_note  what a link cannot carry of this view, said when copied (the link then has no sliders); or ""
 *
 * @typedef {Object} ModelRef
 * @property {string} decoder  URL of the model's decoder, a safetensors file with its card
 * @property {string} encoder  URL of its trunk and heads: fetched only to encode a drawing
 * @property {string} name
 *
 * @typedef {Object} VaeRef
 * @property {string} decoder
 * @property {string} encoder
 * @property {string} name
 * @property {number} beta
 *
 * @typedef {Object} Ranges
 * @property {number[][]} mu  (D, 2) each slider's [min, max]
 * @property {number[][]} sigma
 *
 * @typedef {Object} Steps
 * @property {number} mu
 * @property {number} log_sigma  the sigma slider's track is log sigma
 *
 * @typedef {Object} Parts
 * @property {string[]} pictures  of PICTURES, in order
 * @property {boolean} sliders
 * @property {boolean} readouts
 * @property {boolean} fold  collapsed dimensions left out
 * @property {boolean} large  presenter type
 */

const KEY_PAUSE_MS = 40;  // a run of key presses (a held key repeats every ~33 ms) commits once, after it
export const KL_BAR_NATS = 5;  // a full bar: fixed, so that a bar changes only when its own KL does

function show(el, text) {  // a text that did not change is not set again: every set costs the page a relayout
  if (el.textContent !== text) el.textContent = text;
}

const PICTURES = {
  input: "Input",
  ae: "AE: decodes z = f(y)",
  vae_z: "VAE: decodes z = mu + sigma·eps",
  vae_mu: "VAE: decodes mu alone",
};
const TEST_IDS = { input: "input-image", ae: "decode-ae", vae_z: "decode-vae-z", vae_mu: "decode-vae-mu" };
// what a slider's track holds of its value: sigma's is log sigma, so that the encoder's sigmas (0.06–0.23 on
// MNIST) sit mid-track rather than in the first 7% of 0.01–3; the value shown and committed stays sigma, to
// three significant digits (a step moves it by 2%)
const TRACKS = {
  mu: { track: (v) => v, value: (t) => t },
  sigma: { track: Math.log, value: (t) => Number(Math.exp(t).toPrecision(3)) },
};
// the table's columns: class (live.css sizes and hides them), heading, and what the heading says on hover
const COLUMNS = [
  ["dim", "dim", "the latent dimension d"],
  ["ae", "AE z", "the AE's code z_d = f(y)_d for this input: one number, no distribution"],
  ["mu slider", "drag mu", "drag: the mean mu_d of q(z_d | x)"],
  ["mu", "mu", "mu_d"],
  ["sigma slider", "drag sigma", "drag: the standard deviation sigma_d of q(z_d | x)"],
  ["sigma", "sigma", "sigma_d"],
  ["eps", "eps", "eps_d ~ N(0, 1), fixed until Resample eps"],
  ["z", "z", "z_d = mu_d + sigma_d · eps_d, what the VAE's decoder gets"],
  ["kl bar", `KL bar (0–${KL_BAR_NATS} nats)`, `KL_d as a bar: a full bar is ${KL_BAR_NATS} nats (an arrow: more)`],
  ["kl", "KL (nats)", "KL_d = ½ (mu_d² + sigma_d² − 2 log sigma_d − 1), nats"],
];

export class Explorer extends Mode {
  constructor(root) {
    super(root);
    this.dirty = false;  // moved here and not yet committed
    this.held = false;  // a pointer is down on a slider
    this.seed = -1;
    this.layout = null;
    this.commits = new Commits(() => this.api, (late) => { if (this.unanswered) this.unanswered.hidden = !late; });
    this.own(() => { clearTimeout(this.keyTimer); this.commits.stop(); });
    this.own(() => { this.data = this.waiting = null; });  // gone: encoders that arrive later draw nothing
    for (const end of ["pointerup", "pointercancel"]) this.listen(window, end, () => this.release());
    this.own(addToLink(() => this.linkPart()));
    this.drawingSeq = 0;  // the newest drawing the pad has handed over
    this.follow("drawing", (drawing) => this.drawn(drawing));
    this.follow("drawing-soon", () => this.encoders());
  }

  /** @param {ExplorerData} data */
  needs(data) {
    return [[data.ae.decoder, "decoder", `the decoder of ${data.ae.name}`],
      [data.vae.decoder, "decoder", `the decoder of ${data.vae.name}`], [data.x, "f32", "the input image"]];
  }

  receive(data) {
    if (!this.watching) this.own(watchServer(data.server, (reachable) => this.reachable(reachable)));
    this.watching = true;
    const layout = JSON.stringify([data.mu0.length, data.parts, data.collapsed, data.ranges]);
    if (layout !== this.layout) this.build(data);
    this.layout = layout;
  }

  show(data, problem) {
    if (data.drawing_seq < this.drawingSeq) return;  // from before the drawing on the pad now: its answer follows
    if (data.drawing_seq > (hooks.heard.at(-1) ?? 0)) record(hooks.heard, data.drawing_seq);
    if (this.commits.answered(data.seq) && data.seq > 0) record(hooks.settled, { seq: data.seq, at: performance.now() });
    this.message(problem ? problem.message : "");
    if (problem) return;
    this.data = data;
    this.ae = loaded(data.ae.decoder);
    this.vae = loaded(data.vae.decoder);
    const fresh = data.encoding !== this.input?.encoding;  // a new input or model: the server's code wins
    if (fresh) {
      this.input = { x: loaded(data.x), aeZ: data.ae_z, mu0: data.mu0, sigma0: data.sigma0, caption: data.caption,
        encoding: data.encoding };
    }
    if (fresh || (!this.dirty && !this.held && data.seq >= this.commits.seq)) {
      // the server's settled code: its values a person moved, and this input's own code elsewhere (for a
      // drawing encoded here, this page's encoding: the server's agrees with it, it does not replace it)
      this.mu = data.mu.map((v, d) => (v === data.mu0[d] ? this.input.mu0[d] : v));
      this.sigma = data.sigma.map((v, d) => (v === data.sigma0[d] ? this.input.sigma0[d] : v));
    }
    if (fresh || data.seed >= this.seed) [this.seed, this.eps, this.epsNext] = [data.seed, data.eps, data.eps_next];
    this.drawInput();
    this.draw();
  }

  drawn(drawing) {
    // a drawing on the pad, as it is drawn: it is the input, both encoders read it, and the sliders jump to
    // what the VAE's says; the pad commits it when the stroke ends, and the server then agrees. The encoders
    // are fetched for the first drawing: meanwhile the latest one waits
    const { x, text, seq, moving, eventTime } = drawing;
    if (!this.data) return;
    this.drawingSeq = Math.max(this.drawingSeq, seq);
    if (!x) return this.commitDrawing(drawing);  // the pad was emptied: the server gives the test image back
    const [aeEncode, vaeEncode] = [loaded(this.data.ae.encoder), loaded(this.data.vae.encoder)];
    if (![aeEncode, vaeEncode].every((encode) => encode && !(encode instanceof Error))) {
      this.waiting = drawing;
      this.encoders().then((problem) => {
        if (!this.data) return;  // destroyed meanwhile
        if (problem) this.message(problem.message);
        else if (this.waiting) this.drawn({ ...this.waiting, eventTime: undefined });
        this.waiting = null;
      });
      return;
    }
    const start = performance.now();
    const ae = aeEncode(x), vae = vaeEncode(x);
    const encoded = performance.now() - start;
    this.input = { x, aeZ: ae.mu, mu0: vae.mu, sigma0: vae.logSigma.map(Math.exp), caption: "your drawing",
      encoding: `${this.data.vae.name}/drawing:${text}`, drawn: true };
    [this.mu, this.sigma] = [[...this.input.mu0], [...this.input.sigma0]];
    for (const row of this.rows ?? []) {  // a slider's range holds whatever the encoder says, as the server's does
      for (const [which, values] of [["mu", this.mu], ["sigma", this.sigma]]) {
        const at = TRACKS[which].track(values[row.d]), slider = row[which];
        if (at < Number(slider.min)) slider.min = at;
        if (at > Number(slider.max)) slider.max = at;
      }
    }
    this.drawingMoves = moving;
    this.drawInput();
    this.draw(eventTime);
    if (eventTime !== undefined) {
      record(hooks.drawTimings, { total: performance.now() - eventTime, encodeDecode: encoded + this.aeDecodeMs + this.decodeMs });
    }
    if (!moving) this.commitDrawing(drawing);
  }

  commitDrawing({ text, seq }) {
    // a settled drawing (a stroke ended, Undo, Clear): the server hears it, and reruns what a release reruns
    this.commits.send("drawing", { text, pad: seq });
  }

  build(data) {
    const parts = data.parts;
    // classes for live.css: large type (presenter), and whether the readouts are shown
    const rows = data.collapsed.filter((c) => !(c && parts.fold)).length, folded = rows < data.collapsed.length;
    // no-eps: no picture decodes z (presenter step 2, mu alone), so no eps, z or Resample eps either
    const root = element("div", { class: "live explorer" + (parts.large ? " large" : "") + (parts.readouts ? "" : " no-readouts") +
      (parts.pictures.includes("vae_z") ? "" : " no-eps") +
      (parts.large && (rows > 6 || folded) ? " dense" : "") });  // dense: eight rows, or a note of folded ones, fit 720 px
    this.pictures = {};
    const row = element("div", { class: "pictures" });
    for (const name of parts.pictures) {
      const { box, canvas, caption } = figure(TEST_IDS[name], PICTURES[name]);
      this.pictures[name] = { canvas, caption };
      row.append(box);
    }
    this.note = element("div", { class: "message", role: "alert" });
    const reload = element("button", { type: "button" }, "Reload");
    reload.addEventListener("click", () => location.reload());
    this.unanswered = element("div", { class: "message", role: "alert", "data-testid": "unanswered", hidden: "" },
      `The server has not answered your last move for ${UNANSWERED_MS / 1000} s and is not answering now. ` +
      "This page reloads itself when a server answers; its link keeps this view. ", reload);
    root.append(row, element("div", { class: "notes" }, this.note, this.unanswered));
    const slot = parts.large ? null : element("div", { class: "slot" });
    if (slot) {  // on a phone the pad stands here, under the pictures (dock.js), rather than in the sidebar
      root.append(element("div", { class: "pad" }, element("p", { class: "caption" },
        "Draw here: both encoders read your drawing as you draw, and the pictures above follow it."), slot));
    }
    const body = element("div", { class: "body" });
    if (parts.sliders) body.append(this.buildSliders(data));
    if (parts.readouts) body.append(this.buildReadouts());
    root.append(body);
    this.place(root);
    if (slot) this.own(offerSlot(slot));
  }

  buildSliders(data) {
    const box = element("div", { class: "code" });
    this.seedText = element("span", { class: "seed" });
    const buttons = [["Resample eps", "resample", () => this.resample()], ["Reset", "reset", () => this.reset()]].map(([text, name, act]) => {
      const button = element("button", { type: "button", class: name }, text);
      button.addEventListener("click", act);
      return button;
    });
    this.copied = element("span", { class: "copied", role: "status" });
    const copy = element("button", { type: "button", "data-testid": "copy-link" }, "Copy link");
    copy.addEventListener("click", () => this.copyLink());
    box.append(element("div", { class: "buttons" }, ...buttons, this.seedText, copy, this.copied));
    const table = element("div", { class: "dims" });
    // one .row per dimension: its cells stand in the table's columns, or on a narrow screen as a block of
    // lines (live.css)
    table.append(element("div", { class: "row heads" },
      ...COLUMNS.map(([column, heading, says]) => element("span", { class: `head ${column}`, title: says }, heading))));
    this.rows = [];
    for (let d = 0; d < data.mu0.length; d++) {
      const collapsed = data.collapsed[d];
      if (collapsed && data.parts.fold) continue;
      const cells = {
        aeZ: element("span", { class: "num ae" }),
        mu: this.slider(`mu_${d}`, data.ranges.mu[d], data.steps.mu, d, "mu"),
        muText: element("output", { class: "num mu" }),
        sigma: this.slider(`sigma_${d}`, data.ranges.sigma[d], data.steps.log_sigma, d, "sigma"),
        sigmaText: element("output", { class: "num sigma" }),
        eps: element("span", { class: "num eps" }),
        z: element("span", { class: "num z" }),
        bar: element("i"),
        kl: element("span", { class: "num kl" }),
      };
      cells.barBox = element("span", { class: "bar kl", "data-testid": `kl-bar-${d}` }, cells.bar);
      const name = element("span", { class: "dim" + (collapsed ? " collapsed" : "") }, `z${d}`);
      if (collapsed) name.title = `z${d} is collapsed: average KL ${data.average_kl[d].toFixed(3)} nats over the test split; the decoder ignores it.`;
      table.append(element("div", { class: "row" }, name, cells.aeZ, cells.mu, cells.muText, cells.sigma, cells.sigmaText,
        cells.eps, cells.z, cells.barBox, cells.kl));
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
    const { track, value } = TRACKS[which];
    const input = element("input", { type: "range", "aria-label": label, class: `${which} slider`, min: track(min),
      max: track(max), step });
    input.addEventListener("input", (event) => {
      this[which][d] = value(input.valueAsNumber);
      this.dirty = true;
      this.draw(event.timeStamp);
    });
    input.addEventListener("pointerdown", () => { this.held = true; });
    input.addEventListener("change", () => {
      clearTimeout(this.keyTimer);
      // keys: commit after a pause; a pointer commits on release (and its change event comes after that)
      if (!this.held && this.dirty) this.keyTimer = setTimeout(() => this.commit(), KEY_PAUSE_MS);
    });
    return input;
  }

  buildReadouts() {
    this.klTotal = element("div", { class: "kl-total", "data-testid": "kl-total" });
    this.klCaption = element("div", { class: "caption" });
    this.aeLoss = element("b");
    this.vaeLoss = element("b");
    this.pixelsCaption = element("div", { class: "caption" });
    this.figures = element("div", { class: "figures" },
      element("div", {}, element("span", {}, "AE reconstruction"), this.aeLoss),
      element("div", {}, element("span", {}, "VAE reconstruction, this z"), this.vaeLoss), this.pixelsCaption);
    this.loss = element("p", { class: "loss" });
    const kl = element("div", { class: "kl-block" }, element("div", { class: "label" }, "KL(q(z|x) ‖ N(0, I))"),
      element("div", { class: "kl-line" }, this.klTotal, this.klCaption));
    return element("div", { class: "readouts" }, kl, this.figures, this.loss);
  }

  encoders() {  // -> Promise of the first problem, or null once both encoders are here
    if (!this.data) return Promise.resolve(null);
    return loadAll([[this.data.ae.encoder, "encoder", `the encoder of ${this.data.ae.name}`],
      [this.data.vae.encoder, "encoder", `the encoder of ${this.data.vae.name}`]]);
  }

  release() {
    if (!this.held) return;
    this.held = false;
    if (this.dirty) this.commit();  // the release is the commit
  }

  commit() {
    // the values a person moved, by dimension: every other slider is the encoder's output, on both sides
    clearTimeout(this.keyTimer);
    this.dirty = false;
    this.commits.send("code", { mu: moved(this.mu, this.input.mu0), sigma: moved(this.sigma, this.input.sigma0) });
    this.announce();
  }

  reachable(yes) {
    // the server watch: no answer at all while a commit waits is what the notice is for
    if (!yes && this.commits.timer) this.unanswered.hidden = false;
  }

  linkPart() {
    // this view's part of the link (link.js writes it): no mu_d or sigma_d where the link opens another input
    // (link_note), as they are this input's code
    if (!this.data) return {};
    const { mu0, sigma0 } = this.input;
    return { seed: this.seed, mu: this.mu, sigma: this.sigma, mu0, sigma0, carried: !this.data.link_note };
  }

  async copyLink() {
    const text = link();
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);  // only in a secure context (https, localhost)
      copied = true;
    } catch {
      const field = element("textarea", { readonly: "", class: "offscreen" }, text);
      this.root.append(field);
      field.select();
      copied = document.execCommand("copy");  // an http page on a classroom's LAN
      field.remove();
    }
    if (copied) {
      const note = this.data?.link_note;
      this.copied.replaceChildren(note ? `Copied, but ${note}.` : "Copied: this link opens exactly this view.");
    } else {  // the browser refused: the link to copy by hand, selected
      const field = element("input", { type: "text", readonly: "", value: text, "data-testid": "link-text",
        "aria-label": "This view's link" });
      this.copied.replaceChildren("Copy it with Ctrl+C: ", field);
      field.select();
    }
  }

  announce() {
    // the code as it is now, for the panels that follow it; "moving" while a hand is on a slider
    const { aeZ, encoding, drawn } = this.input;
    hooks.code = { mu: this.mu, sigma: this.sigma, encoding };
    publish("code", { mu: this.mu, sigma: this.sigma, aeZ, encoding, drawn, moving: this.dirty || this.held || this.drawingMoves });
  }

  reset() {
    this.mu = [...this.input.mu0];
    this.sigma = [...this.input.sigma0];
    this.draw();
    this.commit();
  }

  resample() {
    this.seed = (this.seed + 1) % this.data.seeds;  // as live/component.py's next_seed
    if (this.epsNext) [this.eps, this.epsNext] = [this.epsNext, null];  // drawn now; the server confirms
    this.draw();
    this.api.setTriggerValue("resample", this.seed);
  }

  message(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  drawInput() {
    const { data, pictures, input } = this;
    if (pictures.input) paint(pictures.input.canvas, input.x, data.shape);
    const start = performance.now();
    this.aeLogits = this.ae.decodeLogits(input.aeZ);
    this.aeDecodeMs = performance.now() - start;
    if (pictures.ae) paint(pictures.ae.canvas, decoded(this.aeLogits), data.shape);
    this.aeNats = reconstructionNats(this.aeLogits, input.x);
    for (const row of this.rows ?? []) show(row.aeZ, signed(input.aeZ[row.d]));
    if (pictures.input) show(pictures.input.caption, `Input: ${input.caption}`);
  }

  draw(eventTime) {
    const start = performance.now();
    const { data, mu, sigma, eps, pictures } = this;
    const z = reparameterize(mu, sigma, eps);
    const muKey = `${data.vae.decoder} ${mu}`;  // a sigma move or a resample leaves mu's picture as it is
    let logitsZ;
    if (pictures.vae_mu && muKey !== this.muKey) {  // a mu move: both decodings in one pass over the weights
      [logitsZ, this.logitsMu] = this.vae.decodePair(z, mu);
      this.muKey = muKey;
    } else {
      logitsZ = this.vae.decodeLogits(z);
    }
    this.decodeMs = performance.now() - start;
    const logitsMu = pictures.vae_mu ? this.logitsMu : null;
    const trouble = [[logitsZ, "z"], [logitsMu, "mu"]].find(([l]) => l && !finite(l));
    this.message(trouble ? notFinite(data.vae.name, `this ${trouble[1]}`) : "");
    if (!trouble) {
      if (pictures.vae_z) paint(pictures.vae_z.canvas, decoded(logitsZ), data.shape);
      if (logitsMu) paint(pictures.vae_mu.canvas, decoded(logitsMu), data.shape);
    }
    const kl = klPerDim(mu, sigma);
    const total = kl.reduce((a, b) => a + b, 0);
    for (const row of this.rows ?? []) {
      const d = row.d;
      if (!this.dirty) [row.mu.value, row.sigma.value] = [mu[d], TRACKS.sigma.track(sigma[d])];  // never under a moving hand
      show(row.muText, signed(mu[d]));
      show(row.sigmaText, sigma[d].toFixed(2));
      show(row.eps, signed(eps[d]));
      show(row.z, signed(z[d]));
      show(row.kl, kl[d].toFixed(3));
      row.bar.style.width = `${Math.min(100, (100 * kl[d]) / KL_BAR_NATS)}%`;
      row.barBox.classList.toggle("over", kl[d] > KL_BAR_NATS);
    }
    if (this.seedText) show(this.seedText, `eps seed ${this.seed}`);
    if (this.klTotal) this.drawReadouts(logitsZ, total, mu.length);
    if (eventTime !== undefined) {
      const end = performance.now();
      record(hooks.timings, { wait: start - eventTime, work: end - start, total: end - eventTime });
    }
    this.announce();
  }

  drawReadouts(logitsZ, total, dims) {
    const { data } = this;
    const vaeNats = reconstructionNats(logitsZ, this.input.x), beta = data.vae.beta;
    show(this.klTotal, `${total.toFixed(3)} nats`);
    show(this.klCaption, `summed over the ${dims} dims of z, for this input`);
    const pixels = data.shape.reduce((a, b) => a * b, 1);
    show(this.aeLoss, `${this.aeNats.toFixed(2)} nats`);
    show(this.vaeLoss, `${vaeNats.toFixed(2)} nats`);
    show(this.pixelsCaption, `cross-entropy summed over the ${pixels} pixels`);
    // L_AE's term is the VAE's reconstruction; the line as The formula panel writes it
    show(this.loss, `L_VAE = VAE reconstruction + ${beta === 1 ? "" : "beta·"}KL = ${lossVaeLine(vaeNats, beta, total)}`);
  }
}
