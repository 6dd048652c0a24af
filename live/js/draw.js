// The drawing pad: draw a digit with a mouse, a pen or a finger. On every move the drawing is converted
// as an upload of the dataset is (convert.js) and handed to the explorer (bus.js), which encodes it with
// both encoders and redraws everything; when a stroke ends the explorer tells the server the drawing (its
// commit reruns the explorer's fragment, as a slider's release does; the pad itself sends nothing).

import { publish } from "./bus.js";
import { convert, fromLink, quantize, toLink } from "./convert.js";
import { dock } from "./dock.js";
import { addToLink } from "./link.js";
import { Mode } from "./mode.js";
import { element } from "./paint.js";

/**
 * What live/component.py's draw_ui sends (DrawData there, field by field).
 * @typedef {Object} DrawData
 * @property {"draw"} mode
 * @property {string} server
 * @property {number[]} shape  [C, H, W] of the dataset's images
 * @property {Object} conversion  vae.data.conversion(dataset, (H, W)): how a drawing becomes an input
 * @property {number} pad  the pad's side in its own pixels (it is drawn larger)
 * @property {number} brush  the pen's width in the pad's pixels: a converted stroke as thick as the dataset's
 * @property {string|null} drawing  the drawn input the page shows, as a link holds it, if the input is a drawing
 * @property {number} seq  the last drawing the server has heard (the pad counts them)
 */

const INK = "#000", PAPER = "#fff";

export class DrawPad extends Mode {
  constructor(root) {
    super(root);
    this.strokes = [];  // each [[x, y], ...] in the pad's pixels
    this.base = null;  // a drawing that came in a link, under the strokes: Undo keeps it, Clear removes it
    this.seq = 0;  // drawings handed over
    // the link's draw=: this drawing; none once the pad is emptied ("") before the server has heard it
    this.own(addToLink(() => ({ draw: this.text === "" ? null : this.text ?? undefined })));
  }

  /** @param {DrawData} data */
  show(data) {
    const layout = JSON.stringify([data.shape, data.conversion, data.pad, data.brush]);
    if (layout !== this.layout) this.build(data);
    this.layout = layout;
    this.data = data;
    this.seq = Math.max(this.seq, data.seq);  // a new mount in an old session counts on from the session's
    if (!this.strokes.length && data.drawing && data.drawing !== this.text) this.showLinked(data.drawing);  // from a link
    // the server has heard the pad's last drawing, and the input is a test image or an upload now
    if (data.seq >= this.seq && !data.drawing && !this.stroke && this.text) {
      [this.strokes, this.base, this.text] = [[], null, null];
      this.paper();
    }
  }

  build(data) {
    [this.strokes, this.base, this.text] = [[], null, null];  // another dataset's pad
    const root = element("div", { class: "live draw" });
    this.canvas = element("canvas", { width: data.pad, height: data.pad, "data-testid": "draw-pad", role: "img",
      "aria-label": "Drawing pad: draw a digit with the mouse, a pen or a finger" });
    // short words, so that both stand beside each other under a sidebar's pad; named in full for a screen reader
    const buttons = [["Undo", "Undo stroke", () => this.undo()], ["Clear", "Clear drawing", () => this.clear()]].map(([text, name, act]) => {
      const button = element("button", { type: "button", "aria-label": name }, text);
      button.addEventListener("click", act);
      return button;
    });
    root.append(this.canvas, element("div", { class: "buttons" }, ...buttons));
    this.place(root);
    this.own(dock(root, this.root));  // on a phone, on the page under the pictures
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    Object.assign(this.context, { lineCap: "round", lineJoin: "round", strokeStyle: INK, fillStyle: INK,
      lineWidth: data.brush });
    this.paper();
    this.canvas.addEventListener("pointerenter", () => publish("drawing-soon", {}));  // the encoders: fetch them now
    this.canvas.addEventListener("pointerdown", (event) => this.down(event));
    // a move as soon as it happens where the browser reports it so (pointerrawupdate: Chromium, secure pages),
    // rather than with the next animation frame, half a frame later on average
    this.canvas.addEventListener("onpointerrawupdate" in window ? "pointerrawupdate" : "pointermove", (event) => this.move(event));
    for (const end of ["pointerup", "pointercancel"]) this.canvas.addEventListener(end, (event) => this.up(event));
  }

  paper() {
    this.context.save();
    this.context.fillStyle = PAPER;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.context.restore();
  }

  at(event) {  // the pointer in the pad's own pixels
    const box = this.canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * this.canvas.width, ((event.clientY - box.top) / box.height) * this.canvas.height];
  }

  down(event) {
    event.preventDefault();  // a finger draws; the page does not scroll (touch-action: none in live.css)
    this.canvas.setPointerCapture(event.pointerId);
    this.stroke = [this.at(event)];
    this.strokes.push(this.stroke);
    this.dot(this.stroke[0]);
    this.changed(true, event.timeStamp);
  }

  move(event) {
    if (!this.stroke || !this.canvas.hasPointerCapture(event.pointerId)) return;
    const points = (event.getCoalescedEvents?.() ?? [event]).map((e) => this.at(e));
    for (const point of points) {
      this.segment(this.stroke.at(-1), point);
      this.stroke.push(point);
    }
    this.changed(true, event.timeStamp);
  }

  up(event) {
    if (!this.stroke) return;
    this.stroke = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
    this.changed(false);
  }

  undo() {
    if (!this.strokes.length) return;  // a drawing from a link is not a stroke to undo
    this.strokes.pop();
    this.redraw();
  }

  clear() {
    if (!this.strokes.length && !this.base && !this.text) return;  // empty already: nothing to tell the server
    [this.strokes, this.base] = [[], null];
    this.redraw();
  }

  redraw() {
    this.paper();
    if (this.base) this.paint(this.base);
    for (const stroke of this.strokes) {
      this.dot(stroke[0]);
      stroke.slice(1).forEach((point, i) => this.segment(stroke[i], point));
    }
    if (this.strokes.length || this.base) this.changed(false);
    else this.emptied();
  }

  dot([x, y]) {
    this.context.beginPath();
    this.context.arc(x, y, this.context.lineWidth / 2, 0, 2 * Math.PI);
    this.context.fill();
  }

  segment([x0, y0], [x1, y1]) {
    this.context.beginPath();
    this.context.moveTo(x0, y0);
    this.context.lineTo(x1, y1);
    this.context.stroke();
  }

  showLinked(text) {
    // a drawing that came in a link: its converted image, enlarged onto the pad, to draw on further
    this.base = text;
    this.paint(text);
    this.text = text;
  }

  paint(text) {
    const [, h, w] = this.data.shape, x = fromLink(text, h * w), side = this.canvas.width;
    const image = this.context.createImageData(side, side);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
      const v = 255 * (1 - x[Math.floor((r * h) / side) * w + Math.floor((c * w) / side)]);  // ink dark on paper
      image.data.set([v, v, v, 255], 4 * (r * side + c));
    }
    this.context.putImageData(image, 0, 0);
  }

  changed(moving, eventTime) {
    // the pad as the dataset's input, for the explorer: converted and quantized as a link holds it
    const start = performance.now(), side = this.canvas.width;
    const rgba = this.context.getImageData(0, 0, side, side).data;
    const gray = new Float64Array(side * side);
    for (let p = 0; p < gray.length; p++) gray[p] = rgba[4 * p] / 255;  // grey ink: R = G = B
    const [, h, w] = this.data.shape;
    const x = quantize(convert(gray, [side, side], this.data.conversion, [h, w]));
    this.text = toLink(x);
    const seq = this.seq + 1;  // the drawing being made; once settled, the explorer tells the server
    if (!moving) this.seq = seq;
    publish("drawing", { x, text: this.text, seq, moving, eventTime, start });
  }

  emptied() {
    // an empty pad is no input: the server goes back to the test image, and says so
    this.text = "";
    this.seq += 1;
    publish("drawing", { x: null, text: "", seq: this.seq, moving: false });
  }
}
