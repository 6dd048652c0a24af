// K encodings of the same input: the AE's one z against the VAE's z_k = mu + sigma * eps_k, each row
// with its per-pixel mean and std. It follows the explorer's code as the sliders move (bus.js), every
// frame when a redraw is fast enough, else when the hand lets go.

import { hooks, record } from "./hooks.js";
import { Mode } from "./mode.js";
import { reparameterize } from "./model.js";
import { decoded, element, finite, keep, meanAndStd, notFinite, paintTiles } from "./paint.js";
import { loaded } from "./store.js";

/**
 * What live/component.py's samples_ui sends (SamplesData there, field by field).
 * @typedef {Object} SamplesData
 * @property {"samples"} mode
 * @property {string} server
 * @property {ModelRef|null} ae  the AE's row, if shown
 * @property {ModelRef} vae
 * @property {string} encoding
 * @property {number[]} ae_z  (D,)
 * @property {number[]} mu  (D,) the settled code
 * @property {number[]} sigma
 * @property {string} eps_draws  URL of (K, D) float32: eps_k, fixed per seed
 * @property {number} k
 * @property {number} shown  decodings drawn in the grid; the mean and std use all K
 * @property {number} cols
 * @property {number} tile  px
 * @property {boolean} stats  per-pixel mean and std beside the grid
 * @property {string} caption
 * @property {boolean} large
 * @property {number[]} shape  [C, H, W]
 */

const FOLLOW_BUDGET_MS = 12;  // a panel that redraws slower than this follows a moving slider only once it settles
const STAT_PX = 120;

export class Samples extends Mode {
  constructor(root) {
    super(root);
    this.layout = null;
    this.code = null;  // the explorer's latest code, when it is for this panel's input
    this.cost = Infinity;  // ms the fastest redraw has taken with these weights and this K (the first ones warm up)
    this.timed = 0;  // redraws timed into cost
    this.frame = 0;
    this.follow("code", (code) => this.onCode(code));
    this.own(() => { cancelAnimationFrame(this.frame); clearTimeout(this.warm); });
  }

  /** @param {SamplesData} data */
  needs(data) {
    const needs = [[data.vae.decoder, "decoder", `the decoder of ${data.vae.name}`], [data.eps_draws, "f32", "the draws of eps"]];
    if (data.ae) needs.push([data.ae.decoder, "decoder", `the decoder of ${data.ae.name}`]);
    return needs;
  }

  receive(data) {
    const layout = JSON.stringify([data.k, data.shown, data.cols, data.tile, data.shape, !!data.ae, data.caption,
      data.large]);
    if (layout !== this.layout) this.build(data);
    if (layout !== this.layout || data.vae.decoder !== this.data?.vae.decoder) [this.cost, this.timed] = [Infinity, 0];
    this.layout = layout;
  }

  show(data, problem) {
    this.note.textContent = problem ? problem.message : "";
    this.note.hidden = !problem;
    if (problem) return;
    if (data.encoding !== this.data?.encoding || !this.code) this.code = { mu: data.mu, sigma: data.sigma, aeZ: data.ae_z };
    this.data = data;
    this.eps = loaded(data.eps_draws);
    this.drawAe();
    this.drawVae();
    if (this.timed < 2 && this.cost > FOLLOW_BUDGET_MS) {  // the first redraw was cold: time a warm one
      this.warm = setTimeout(() => this.drawVae(), 100);
    }
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
      const kept = pictures.map((canvas) => {
        const box = element("span", {}, canvas);
        keep(box, canvas, canvas.dataset.testid);
        return box;
      });
      root.append(text, element("div", { class: "tiles" }, ...kept), element("p", { class: "caption" }, data.caption));
      this.rows[which] = row;
    }
    root.append(this.note);
    this.place(root);
  }

  drawn(code) {  // this code, with these eps, is what the rows show now
    const last = this.lastDrawn;
    return last && last.data === this.data && ["mu", "sigma", "aeZ"].every((k) => last[k].every((v, d) => v === code[k][d]));
  }

  onCode(code) {
    // the explorer's code for this panel's input, or for a drawing as it is drawn (the AE's z moves too)
    if (!this.data || (code.encoding !== this.data.encoding && !code.drawn) || this.drawn(code)) return;
    this.code = code;
    if (code.moving && this.cost > FOLLOW_BUDGET_MS) return;  // too slow to keep up with a hand: on release
    if (!this.frame) this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawAe();
      this.drawVae();
    });
  }

  drawAe() {
    // z = f(y) is one point: every one of the K decodings is the same picture; redrawn only when it changes
    const { data } = this, aeZ = this.code.aeZ, shows = data.ae && `${this.layout} ${data.ae.decoder} ${aeZ}`;
    if (!data.ae || shows === this.aeShows) return;
    this.aeShows = shows;
    const image = decoded(loaded(data.ae.decoder).decodeLogits(aeZ));
    this.drawRow(this.rows.ae, Array(data.k).fill(image), "AE", "z = f(y) is the same every time");
  }

  drawVae() {
    const start = performance.now();
    const { data, eps } = this, { mu, sigma } = this.code, model = loaded(data.vae.decoder), dim = mu.length;
    const zs = [];
    for (let k = 0; k < data.k; k++) zs.push(reparameterize(mu, sigma, eps.subarray(k * dim, (k + 1) * dim)));
    const logits = [];
    for (let k = 0; k < zs.length; k += 2) {  // two at a time: a pair shares each pass over the weights
      logits.push(...(k + 1 < zs.length ? model.decodePair(zs[k], zs[k + 1]) : [model.decodeLogits(zs[k])]));
    }
    this.lastDrawn = { data, mu: [...mu], sigma: [...sigma], aeZ: [...this.code.aeZ] };
    const broken = !logits.every(finite);
    this.note.textContent = broken ? notFinite(data.vae.name, "some of the K draws of z") : "";
    this.note.hidden = !broken;
    if (!broken) this.drawRow(this.rows.vae, logits.map(decoded), "VAE", "a new eps each time, with the current mu and sigma");
    const cost = performance.now() - start;
    this.cost = Math.min(this.cost, cost);
    this.timed += 1;
    record(hooks.samplesTimings, cost);
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
