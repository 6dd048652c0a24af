"""The component's modules (live/js/) in Chromium with no Streamlit server: a bare page on a stand-in origin
whose requests Playwright answers, with the code from live/js/ and the files the page published
(routes/files.py), mounted with a stand-in for the component API."""

from routes import files

ORIGIN = "http://localhost:9"  # a secure context (the clipboard needs one), never reached: Playwright answers
SERVER = "the-server"
# the component API, as Streamlit hands it to the loader; window.calls records what the page sends
MOUNT = """async ([data, key]) => {
    window.calls ??= [];
    window.cleanups ??= {};
    const code = await import(data.code);
    const host = document.getElementById(key) ?? document.body.appendChild(Object.assign(
        document.createElement("div"), {id: key}));
    const root = host.shadowRoot ?? host.attachShadow({mode: "open"});
    window.cleanups[key] = code.default({data, parentElement: root,
        setStateValue: (name, value) => window.calls.push(["state", name, value]),
        setTriggerValue: (name, value) => window.calls.push(["trigger", name, value])});
    await code.updated();
}"""


class Site:
    """The stand-in origin: the code from live/js/, published files, and /live-server."""

    def __init__(self, page):
        self.page, self.files, self.server, self.asked = page, {}, SERVER, []
        page.route(f"{ORIGIN}/**", self.answer)
        page.goto(f"{ORIGIN}/?pair=digits-z2")

    def answer(self, route):
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        self.asked.append(path)
        if path == "/":
            return route.fulfill(body="<!doctype html><html><body></body></html>", content_type="text/html")
        if path == "/live-server":
            if self.server is None:
                return route.abort("connectionrefused")
            return route.fulfill(json={"server": self.server})
        if path.startswith("/live/"):
            version, name = path.removeprefix("/live/").split("/", 1)
            assert version == files.CODE_VERSION
            return route.fulfill(body=(files.CODE_DIR / name).read_bytes(),
                                 content_type="text/css" if name.endswith(".css") else "text/javascript")
        name = path.removeprefix("/files/")
        data = self.files.get(name, files.file_bytes(name))
        if data is None:
            return route.fulfill(status=404, body="not on this server")
        return route.fulfill(body=data, content_type="application/octet-stream")


def mount(site, data, key="live"):
    """Mounts data as live/component.py's _mount sends it ({"code": URL, "live": ...})."""
    sent = {**data, "code": ORIGIN + data["code"], "live": {**data["live"], "server": SERVER}}
    site.page.evaluate(MOUNT, [sent, key])
