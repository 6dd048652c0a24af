// The latent map: the AE's plane and the VAE's side by side, each with its test codes by label, the
// prior's 1 and 2 sigma circles, and a point to drag. Each plane's point starts at its own model's code
// for the input (the AE's z; the VAE's mu as the sliders have it: a released mu slider of a plotted
// dimension moves it along that axis) and is decoded live by that model. A drawing on the pad moves
// both points as it is drawn (bus.js), so a drawn 4 lands among the test 4s, or does not.

import { hooks, record } from "./hooks.js";
import { Mode } from "./mode.js";
import { klPerDim } from "./model.js";
import { decoded, element, figure, keep, paint, signed } from "./paint.js";
import { loaded } from "./store.js";

/**
 * What live/component.py's map_ui sends (MapData there, field by field).
 * @typedef {Object} MapData
 * @property {"map"} mode
 * @property {string} server
 * @property {PlaneRef} ae
 * @property {PlaneRef} vae
 * @property {string} encoding
 * @property {number[]} dims  the planes' two dimensions
 * @property {number[]} ae_z  (D,) the AE's plane starts at its own code
 * @property {number[]} mu  (D,) the VAE's plane starts at mu
 * @property {number[]} sigma
 * @property {string[]} label_names
 * @property {number[]} shape  [C, H, W]
 *
 * @typedef {Object} PlaneRef
 * @property {string} decoder
 * @property {string} encoder
 * @property {string} name
 * @property {string} codes  URL of the test codes in the plane's two dimensions: {points (N * 2,), labels (N,)}
 */

export const LABEL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
const PLANE_PX = 260;

export class LatentMap extends Mode {
  constructor(root) {
    super(root);
    this.layout = null;
    this.follow("code", (code) => this.onCode(code));
    this.own(() => cancelAnimationFrame(this.frame));
  }

  /** @param {MapData} data */
  needs(data) {
    return ["ae", "vae"].flatMap((which) => [
      [data[which].decoder, "decoder", `the decoder of ${data[which].name}`],
      [data[which].codes, "json", `the test codes of ${data[which].name}`]]);
  }

  show(data, problem) {
    if (problem) {
      this.problem("map", problem.message);
      this.layout = null;
      return;
    }
    const layout = JSON.stringify([data.dims, data.ae.codes, data.vae.codes, data.encoding]);
    const codes = { ae: data.ae_z, vae: data.mu };  // each plane's code for the input: its other dimensions
    if (layout !== this.layout) {
      this.codes = { ...codes };
      this.build(data);
    } else {  // a settled code that moved (a released mu slider): the other dimensions follow, and the point
      // moves along an axis only if that axis's dimension moved, so a point dragged into the circles stays there
      for (const p of this.planes) {
        const [now, before] = [codes[p.which], this.settled[p.which]];
        this.codes[p.which] = now;
        data.dims.forEach((d, axis) => { if (now[d] !== before[d]) p.point[axis] = now[d]; });
      }
    }
    this.layout = layout;
    this.settled = codes;
    this.data = data;
    this.draw();
  }

  onCode({ drawn, aeZ, mu }) {
    // a drawing, as it is drawn: each plane's point goes to its model's code for it
    if (!drawn || !this.planes) return;
    const [a, b] = this.data.dims;
    this.codes = { ae: aeZ, vae: mu };
    for (const p of this.planes) p.point = [this.codes[p.which][a], this.codes[p.which][b]];
    if (!this.frame) this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  build(data) {
    const [a, b] = data.dims;
    const root = element("div", { class: "live map" });
    const legend = element("div", { class: "legend", "data-testid": "map-legend" }, "Test codes by label:",
      ...data.label_names.map((name, i) => element("span", {}, element("i", { style: `background:${LABEL_COLOURS[i % 10]}` }), name)));
    const planes = element("div", { class: "planes" });
    this.planes = ["ae", "vae"].map((which) => {
      const title = which === "ae" ? `AE: z = f(y) (${data.ae.name})` : `VAE: mu (${data.vae.name})`;
      const plane = element("canvas", { width: PLANE_PX, height: PLANE_PX, "data-testid": `map-${which}`, class: "plane",
        role: "img", "aria-label": `${title}: drag the point` });
      const { box, canvas } = figure(`map-decode-${which}`, `${which.toUpperCase()} decodes this point`);
      const text = element("div", { class: "caption", "data-testid": `map-${which}-text` });
      const planeBox = element("div", {}, plane);
      keep(planeBox, plane, `map-${which}`, root);  // full screen: both planes, with their legend and decodings
      planes.append(element("div", {}, element("div", { class: "title" }, title),
        element("div", { class: "row" }, planeBox, element("div", {}, box, text))));
      const codes = loaded(data[which].codes);
      const start = which === "ae" ? data.ae_z : data.mu;
      const p = { which, plane, canvas, text, codes, extent: extentOf(codes.points), background: null,
        point: [start[a], start[b]] };
      plane.addEventListener("pointerdown", (event) => {
        plane.setPointerCapture(event.pointerId);
        this.move(p, event);
      });
      plane.addEventListener("pointermove", (event) => {
        if (plane.hasPointerCapture(event.pointerId)) this.move(p, event);
      });
      return p;
    });
    root.append(legend, planes);
    this.place(root);
  }

  move(p, event) {
    const box = p.plane.getBoundingClientRect();
    const [x0, x1, y0, y1] = p.extent;
    p.point = [x0 + ((event.clientX - box.left) / box.width) * (x1 - x0), y1 - ((event.clientY - box.top) / box.height) * (y1 - y0)];
    this.draw(event.timeStamp, p);
  }

  draw(eventTime, only) {
    const start = performance.now();
    const { data } = this;
    const [a, b] = data.dims;
    for (const p of only ? [only] : this.planes) {
      const z = [...this.codes[p.which]];  // the other dimensions: this input's code
      [z[a], z[b]] = p.point;
      paint(p.canvas, decodeAt(loaded(data[p.which].decoder), z), data.shape);
      this.drawPlane(p);
      const where = `z${a} = ${signed(p.point[0])}, z${b} = ${signed(p.point[1])}`;
      if (p.which === "ae") {
        p.text.textContent = `${where}. The AE has no KL term: nothing pulls its codes toward the circles.`;
      } else {
        const kl = klPerDim(p.point, [data.sigma[a], data.sigma[b]]).reduce((s, v) => s + v, 0);
        p.text.textContent = `${where}. KL if mu were here: ${kl.toFixed(2)} nats (these 2 dims, sigma as set).`;
      }
    }
    if (eventTime !== undefined) {
      const end = performance.now();
      record(hooks.timings, { wait: start - eventTime, work: end - start, total: end - eventTime, map: true });
    }
  }

  drawPlane(p) {
    const context = p.plane.getContext("2d");
    if (!p.background) p.background = background(p);
    context.drawImage(p.background, 0, 0);
    const [x0, x1, y0, y1] = p.extent;
    const inside = [Math.min(x1, Math.max(x0, p.point[0])), Math.min(y1, Math.max(y0, p.point[1]))];
    const [x, y] = toPixel(p.extent, ...inside);
    context.lineWidth = 2;
    if (inside[0] !== p.point[0] || inside[1] !== p.point[1]) {  // off the plane: an arrow at its edge, pointing out
      const angle = Math.atan2(-(p.point[1] - inside[1]), p.point[0] - inside[0]);
      context.save();
      context.translate(x, y);
      context.rotate(angle);
      context.fillStyle = "#000";
      context.beginPath();
      context.moveTo(0, 0);
      context.lineTo(-16, -9);
      context.lineTo(-16, 9);
      context.closePath();
      context.fill();
      context.restore();
      return;
    }
    context.fillStyle = "#000";
    context.strokeStyle = "#fff";
    context.beginPath();
    context.arc(x, y, 7, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  }
}

export function decodeAt(decoder, z) {  // (C*H*W,) in [0, 1]: what the decoder makes of the code z (D,)
  return decoded(decoder.decodeLogits(z));
}

function background(p) {
  // the codes and the prior's circles: drawn once, then copied under the point
  const canvas = element("canvas", { width: PLANE_PX, height: PLANE_PX });
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, PLANE_PX, PLANE_PX);
  const { points, labels } = p.codes;
  g.globalAlpha = 0.55;
  for (let i = 0; i < labels.length; i++) {
    const [x, y] = toPixel(p.extent, points[2 * i], points[2 * i + 1]);
    g.fillStyle = LABEL_COLOURS[labels[i] % 10];
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
  return canvas;
}

export function extentOf(points) {
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
