// What Streamlit mounts (panels/live.py). The component's code itself (decoder.js, live.js and
// live.css) reaches the page once, as data, like the weights, and is imported here: inline, it would
// travel with every mount, ~50 KB per commit.

let live = null, liveId = null;  // the code's default export (a promise), and which code it is
const latest = new WeakMap();  // parentElement -> the newest mount of it: an older one never draws over it

export default function (component) {
  const { data: { module }, parentElement } = component;
  latest.set(parentElement, component);
  if (module.text && module.id !== liveId) {  // the first visit, or a server with other code (a new deploy)
    liveId = module.id;
    live = import(URL.createObjectURL(new Blob([module.text], { type: "text/javascript" })))
      .then((code) => code.default)
      .catch((error) => {
        [live, liveId] = [null, null];
        parentElement.textContent = `The explorer's code could not start in this browser: ${error.message}.`;
        throw error;
      });
  }
  if (live) return void live.then((render) => render(component));
  // another component of the same rerun may bring the code this frame: look again before asking
  requestAnimationFrame(() => {
    if (latest.get(parentElement) !== component) return;
    if (live) live.then((render) => render(component));
    else component.setTriggerValue("missing", [module.id]);
  });
}
