// Presenter mode's keys (mounted by page/presenter.py). A presentation clicker sends PageDown and
// PageUp, a keyboard the arrow keys: each press moves one step, as the trigger "step" (+1 or -1).
// A key meant for a control (a slider's arrows, a number field, a select) is left to the control; but
// a clicker's PageDown and PageUp step even from a slider the teacher last dragged.
//
// data: {mode: "keys", step, steps}: the step shown (1-based) and how many there are; at either end the key is
// not taken, so the browser keeps its own use for it.

const FORWARD = new Set(["ArrowRight", "PageDown"]);
const BACK = new Set(["ArrowLeft", "PageUp"]);
const OWN_KEYS = new Set(["INPUT", "TEXTAREA", "SELECT"]);  // elements whose keys are their own
const keys = (globalThis.__presenterKeys ??= { listener: null, send: null, data: null });  // one per page

function ownedByAControl(event) {
  const target = event.composedPath()[0];  // inside a shadow root (the explorer's sliders) too
  if (event.key.startsWith("Page") && target instanceof HTMLInputElement && target.type === "range") return false;
  return target instanceof Element && (OWN_KEYS.has(target.tagName) || target.isContentEditable ||
    target.closest('[role="slider"], [role="combobox"], [role="listbox"], [role="spinbutton"]') !== null);
}

function onKey(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const move = FORWARD.has(event.key) ? 1 : BACK.has(event.key) ? -1 : 0;
  if (!move || ownedByAControl(event) || !keys.send) return;
  const { step, steps } = keys.data;
  if (step + move < 1 || step + move > steps) return;
  event.preventDefault();  // PageDown would also scroll
  keys.send("step", move);
}

export default function ({ data, setTriggerValue }) {
  keys.send = setTriggerValue;
  keys.data = data;
  if (!keys.listener) {
    keys.listener = onKey;
    document.addEventListener("keydown", onKey);
  }
  return () => {  // unmounted: presenter mode is over
    document.removeEventListener("keydown", keys.listener);
    keys.listener = null;
    keys.send = null;
  };
}
