// The drawing pad itself: a canvas to draw a digit on with a mouse, a pen or a finger, its strokes, "Undo
// stroke" and "Clear drawing", and the drawing converted as an upload of the dataset is (convert.js) and
// quantized as a link holds it. No Streamlit and no page around it: the explorer's pad (draw.js) and the
// student's page of the class board (student.js) each wrap it, and hear it through its hooks:
// - changed({ x, text, moving, eventTime, start }): the drawing now (x (H*W,) of k / 15, text its link form),
//   on every move and at every stroke's end; moving while a stroke goes on;
// - settled(text): a stroke ended, or Undo or Clear changed the drawing; text "" when the pad is empty;
// and entered(), when a pointer comes over the pad (the explorer fetches its encoders then).

import { convert, fromLink, quantize, toLink } from "./convert.js";
import { element } from "./paint.js";

const INK = "#000", PAPER = "#fff";

export class Pad {
  /**
   * @param {{shape: number[], conversion: Object, pad: number, brush: number, short?: boolean}} how  the dataset's
   *   [C, H, W] and conversion, the pad's side and the pen's width in the pad's pixels; short button words
   * @param {{changed?: Function, settled?: Function, entered?: Function}} hooks
   */
  constructor(how, hooks) {
    this.how = how;
    this.hooks = hooks;
    this.strokes = [];  // each [[x, y], ...] in the pad's pixels
    this.base = null;  // a drawing that came in a link, under the strokes: Undo keeps it, Clear removes it
    this.text = null;  // the drawing as a link holds it; "" once emptied, null before anything was drawn
    this.element = element("div", { class: "live draw" });
    this.canvas = element("canvas", { width: how.pad, height: how.pad, "data-testid": "draw-pad", role: "img",
      style: "touch-action: none",  // a finger draws; the page does not scroll
      "aria-label": "Drawing pad: draw a digit with the mouse, a pen or a finger" });
    // short words, so that both stand beside each other under a sidebar's pad; named in full for a screen reader
    const buttons = [["Undo", "Undo stroke", () => this.undo()], ["Clear", "Clear drawing", () => this.clear()]]
      .map(([text, name, act]) => {
        const button = element("button", { type: "button", "aria-label": name }, how.short ? text : name);
        button.addEventListener("click", act);
        return button;
      });
    this.buttons = element("div", { class: "buttons" }, ...buttons);
    this.element.append(this.canvas, this.buttons);
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    Object.assign(this.context, { lineCap: "round", lineJoin: "round", strokeStyle: INK, fillStyle: INK,
      lineWidth: how.brush });
    this.paper();
    this.canvas.addEventListener("pointerenter", () => hooks.entered?.());
    this.canvas.addEventListener("pointerdown", (event) => this.down(event));
    // a move as soon as it happens where the browser reports it so (pointerrawupdate: Chromium, secure pages),
    // rather than with the next animation frame, half a frame later on average
    this.canvas.addEventListener("onpointerrawupdate" in window ? "pointerrawupdate" : "pointermove", (event) => this.move(event));
    for (const end of ["pointerup", "pointercancel"]) this.canvas.addEventListener(end, (event) => this.up(event));
  }

  get empty() {
    return !this.strokes.length && !this.base;
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
    event.preventDefault();
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
    this.hooks.settled?.(this.text);
  }

  get drawing() {  // a stroke is being drawn
    return Boolean(this.stroke);
  }

  undo() {
    if (!this.strokes.length) return;  // a drawing from a link is not a stroke to undo
    this.strokes.pop();
    this.redraw();
  }

  clear() {
    if (this.empty && !this.text) return;  // empty already: nothing to tell
    [this.strokes, this.base] = [[], null];
    this.redraw();
  }

  reset() {  // an empty pad, as if nothing had been drawn (the input is no drawing now)
    [this.strokes, this.base, this.text] = [[], null, null];
    this.paper();
  }

  redraw() {
    this.paper();
    if (this.base) this.paint(this.base);
    for (const stroke of this.strokes) {
      this.dot(stroke[0]);
      stroke.slice(1).forEach((point, i) => this.segment(stroke[i], point));
    }
    if (!this.empty) this.changed(false);
    else this.text = "";  // an empty pad is no input
    this.hooks.settled?.(this.text);
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

  show(text) {
    // a drawing that came in a link: its converted image, enlarged onto the pad, to draw on further
    this.base = text;
    this.paint(text);
    this.text = text;
  }

  paint(text) {
    const [, h, w] = this.how.shape, x = fromLink(text, h * w), side = this.canvas.width;
    const image = this.context.createImageData(side, side);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
      const v = 255 * (1 - x[Math.floor((r * h) / side) * w + Math.floor((c * w) / side)]);  // ink dark on paper
      image.data.set([v, v, v, 255], 4 * (r * side + c));
    }
    this.context.putImageData(image, 0, 0);
  }

  changed(moving, eventTime) {
    // the pad as the dataset's input: converted and quantized as a link holds it
    const start = performance.now(), side = this.canvas.width;
    const rgba = this.context.getImageData(0, 0, side, side).data;
    const gray = new Float64Array(side * side);
    for (let p = 0; p < gray.length; p++) gray[p] = rgba[4 * p] / 255;  // grey ink: R = G = B
    const [, h, w] = this.how.shape;
    const x = quantize(convert(gray, [side, side], this.how.conversion, [h, w]));
    this.text = toLink(x);
    this.hooks.changed?.({ x, text: this.text, moving, eventTime, start });
  }
}
