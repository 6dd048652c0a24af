// Where the drawing pad stands. Its own mount point is the sidebar; on a phone the sidebar is collapsed, and
// once opened it covers the pictures, so there the pad stands in the explorer, under the pictures (the slot
// the explorer offers). It is one pad, moved, not a second one: its strokes, its count of drawings and its
// listeners go with it, and a drawing reaches the server as it always does (the explorer commits it).

const PHONE = matchMedia("(max-width: 640px)");  // a phone: where Streamlit stacks columns too
const PLACED_NOTE = "On this screen the pad is on the page, under the pictures.";

let slot = null;  // the explorer's place for the pad, while it is on the page
let pad = null;  // { element, home, note }: the pad's element, its own mount point, and what home says meanwhile

function place() {
  if (!pad) return;
  const away = PHONE.matches && slot?.isConnected;
  const there = away ? slot : pad.home;
  if (pad.element.parentNode !== there) there.append(pad.element);
  if (away && !pad.note.isConnected) pad.home.append(pad.note);
  if (!away) pad.note.remove();
}

PHONE.addEventListener("change", place);

export function offerSlot(element) {  // the explorer's slot -> a function that takes the offer back
  slot = element;
  place();
  return () => {
    if (slot !== element) return;
    slot = null;
    place();
  };
}

export function dock(element, home) {
  // the pad's element (placed in home, its mount point) goes where this screen wants it -> a function that
  // takes it off the page
  if (pad && pad.element !== element) {
    pad.element.remove();
    pad.note.remove();
  }
  const note = pad?.note ?? Object.assign(document.createElement("p"), { className: "pad-placed", textContent: PLACED_NOTE });
  pad = { element, home, note };
  place();
  return () => {
    if (pad?.element !== element) return;
    element.remove();
    note.remove();
    pad = null;
  };
}
