// The link: the page's URL holds the whole view (live/link.py writes it, and Streamlit puts it in the address
// bar after each rerun). A copied link, and the URL a page reloads to, are that URL with each mount's part of
// the view as it is now, so that neither lags a move the server has not answered yet. The parts are written
// here, as live/link.py writes them: the eps seed; each mu_d and sigma_d a person moved (the shortest text that
// reads back exactly), none where the link opens another input; the drawing, if it is the input.
// (The page never writes the URL itself while Streamlit runs it: Streamlit's own URL updates then take the
// focus from a slider.)

const parts = new Set();  // () -> {seed?, mu?, sigma?, mu0?, sigma0?, carried?, draw?}: each mount's view

export function addToLink(part) {  // -> a function that takes the part off
  parts.add(part);
  return () => parts.delete(part);
}

export function moved(values, start) {
  // {d: value} for each value a person moved away from start (the encoder's output), as live/link.py's write
  const out = {};
  values.forEach((v, d) => { if (Math.abs(v - start[d]) > 1e-9) out[d] = v; });
  return out;
}

export function link() {
  // the page's URL with every mount's part as it is now
  const url = new URL(location.href), params = url.searchParams;
  for (const part of parts) {
    const view = part();
    if (view.seed !== undefined) params.set("seed", String(view.seed));
    for (const name of view.mu ? ["mu", "sigma"] : []) {
      const shifted = view.carried ? moved(view[name], view[`${name}0`]) : {};
      view[name].forEach((_, d) => {
        if (d in shifted) params.set(`${name}_${d}`, String(shifted[d]));
        else params.delete(`${name}_${d}`);
      });
    }
    if (view.draw === null) params.delete("draw");  // the pad emptied, before the server has heard it
    else if (view.draw !== undefined) params.set("draw", view.draw);
  }
  return url.href;
}
