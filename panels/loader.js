// What Streamlit mounts (panels/live.py). The component's code itself (decoder.js, live.js and
// live.css) reaches the page once, as data, like the weights, and is imported here: inline, it would
// travel with every mount, ~50 KB per commit.

let live = null;  // the code's default export (a promise), for the page's life

export default function (component) {
  const { module } = component.data;
  if (!live && module.text) {
    const url = URL.createObjectURL(new Blob([module.text], { type: "text/javascript" }));
    live = import(url).then((code) => code.default);
  }
  if (live) return void live.then((render) => render(component));
  // another component of the same rerun may bring the code this frame: look again before asking
  requestAnimationFrame(() => {
    if (live) live.then((render) => render(component));
    else component.setTriggerValue("missing", [module.id]);
  });
}
