"""live.js in Chromium with no server: the component's module, loaded as Streamlit loads it (from a
blob URL), mounted on a bare page with a stand-in for the component API. For what a person should
never see silently: broken weights, a decoder gone non-finite, blobs the page lacks, a late reply."""

import base64
import copy

import pytest
import torch
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_app import APP, mounted
from test_browser import browser  # noqa: F401  (the module's Chromium)

import vae
from panels.live import CODE_ID, JS
from vae.checkpoints import checkpoint_bytes

pytestmark = pytest.mark.browser

MOUNT = """async ([js, data]) => {
    window.live ??= (await import(URL.createObjectURL(new Blob([js], {type: "text/javascript"})))).default;
    window.mount(data);
}"""
MOUNT_API = """() => {
    window.calls ??= [];
    const host = document.getElementById("host");
    host.shadowRoot ?? host.attachShadow({mode: "open"});
    window.mount = (data) => window.live({data, parentElement: host.shadowRoot,  // data as live.py's _mount sends it
        setStateValue: (name, value) => window.calls.push(["state", name, value]),
        setTriggerValue: (name, value) => window.calls.push(["trigger", name, value])});
}"""


@pytest.fixture(scope="module")
def first_visit():
    """What the page sends on a first visit (digits, D=2, test #0): the code, weights and input included."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["pair"] = "digits-z2"
    return mounted(at.run())


@pytest.fixture(scope="module")
def explorer_data(first_visit):
    return first_visit["live"]


@pytest.fixture
def page(browser):  # noqa: F811
    page = browser.new_page()
    page.set_content('<div id="host"></div>')
    yield page
    page.close()


def mount(page, data, js=JS, module=None):
    """Mounts the component's code (or, with js=loader.js, what Streamlit mounts) with the explorer's data."""
    page.evaluate(MOUNT_API)
    page.evaluate(MOUNT, [js, {"module": module or {"id": CODE_ID}, "live": data}])


def shown(page, test_id="kl-total"):
    return page.get_by_test_id(test_id).inner_text()


def message(page):
    return page.locator(".message:not([data-testid])").inner_text()  # not the unanswered-commit notice


def test_it_draws_the_encoders_code_and_commits_nothing_by_itself(page, explorer_data):
    mount(page, explorer_data)
    code = explorer_data["code"]
    kl = vae.kl_per_dim(torch.tensor(code["mu"]), torch.tensor(code["sigma"]).log()).sum().item()
    assert shown(page) == f"{kl:.3f} nats"
    assert page.evaluate("window.calls") == []


def test_weights_that_cannot_be_read_are_named_on_the_page(page, explorer_data):
    data = copy.deepcopy(explorer_data)
    broken = data["vae"]["weights"] + "-broken"
    data["blobs"][broken] = {"type": "safetensors", "name": "digits-vae-z2",
                             "data": base64.b64encode(b"\x80\x04 not a safetensors file").decode()}
    data["vae"]["weights"] = broken
    mount(page, data)
    assert message(page).startswith("The weights of digits-vae-z2 cannot be used in the browser")


def test_a_decoder_that_gives_non_finite_values_says_so(page, explorer_data):
    model = vae.load_pretrained("digits-vae-z2")
    with torch.no_grad():
        model.decoder[-2].bias[3] = float("nan")  # the last Linear, before the Unflatten
    data = copy.deepcopy(explorer_data)
    data["blobs"]["weights:nan"] = {"type": "safetensors", "name": "digits-vae-z2",
                                    "data": base64.b64encode(checkpoint_bytes(model)).decode()}
    data["vae"]["weights"] = "weights:nan"
    mount(page, data)
    assert "The VAE's decoder (digits-vae-z2) gave values that are not finite" in message(page)
    assert shown(page).endswith("nats")  # the KL does not depend on the decoder, and still shows


def test_blobs_the_page_lacks_are_asked_for_again(page, explorer_data):
    data = {**explorer_data, "blobs": {}}  # a rerun's data whose first visit this page never drew
    mount(page, data)
    page.wait_for_function("window.calls.length > 0")  # after a frame's look for another component's
    (call,) = page.evaluate("window.calls")
    assert call[:2] == ["trigger", "missing"]
    assert set(call[2]) == {data["ae"]["weights"], data["vae"]["weights"], data["x"]}
    mount(page, explorer_data)  # the server sends them again
    assert shown(page).endswith("nats")


def test_the_loader_imports_the_code_sent_once_and_asks_for_it_when_missing(page, first_visit):
    loader = (ROOT / "panels" / "loader.js").read_text()
    mount(page, first_visit["live"], js=loader)  # a rerun whose first visit this page never drew: no code
    page.wait_for_function("window.calls.length > 0")
    assert page.evaluate("window.calls") == [["trigger", "missing", [CODE_ID]]]
    assert page.get_by_test_id("kl-total").count() == 0
    page.evaluate("(data) => window.mount(data)", first_visit)  # the server sends the code again
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=5000)
    page.evaluate("(data) => window.mount(data)", {**first_visit, "module": {"id": CODE_ID}})  # later mounts: ids
    assert shown(page).endswith("nats") and len(page.evaluate("window.calls")) == 1


def test_a_commit_the_server_never_answers_says_so_and_offers_a_reload(page, explorer_data):
    mount(page, explorer_data)
    page.locator('input[aria-label="mu_0"]').evaluate(
        "s => { s.value = 1.5; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')) }")
    page.wait_for_function("window.calls.some((call) => call[1] === 'code')")  # committed after the key pause
    notice = page.get_by_test_id("unanswered")
    assert notice.is_hidden()
    notice.wait_for(state="visible", timeout=10_000)  # 5 s without an answer: a replica may have died
    assert "may have restarted" in notice.inner_text() and notice.get_by_role("button", name="Reload").is_visible()
    answer = copy.deepcopy(explorer_data)
    answer["blobs"], answer["code"]["mu"][0] = {}, 1.5
    answer["seq"] = page.evaluate("window.calls.filter((call) => call[1] === 'code').at(-1)[2].seq")
    mount(page, answer)  # a late answer after all
    assert notice.is_hidden()


def test_a_late_reply_never_moves_a_slider_being_moved(page, explorer_data):
    mount(page, explorer_data)
    slider = page.locator('input[aria-label="mu_0"]')
    slider.evaluate("s => { s.value = 2.5; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')) }")
    moved = shown(page)
    late = copy.deepcopy(explorer_data)
    late["blobs"], late["code"]["mu"][0] = {}, -3.0  # a reply from before this move
    mount(page, late)
    assert slider.evaluate("s => s.valueAsNumber") == 2.5 and shown(page) == moved
    page.wait_for_function("() => window.calls.length > 0")  # after the key pause: one commit
    (call,) = page.evaluate("window.calls")
    assert call[:2] == ["state", "code"] and call[2]["mu"][0] == 2.5 and call[2]["seq"] == 1
    settled = copy.deepcopy(late)
    settled["code"]["mu"][0], settled["seq"] = 2.5, 1  # the server's answer to that commit
    mount(page, settled)
    assert slider.evaluate("s => s.valueAsNumber") == 2.5 and shown(page) == moved
