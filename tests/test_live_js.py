"""The component's modules (live/js/) in Chromium with no Streamlit server: a bare page on a stand-in
origin whose requests Playwright answers, the code from live/js/ and the files from what the page
published (routes/files.py), mounted with a stand-in for the component API. For what a person should
never see silently (a file missing or broken, a decoder gone non-finite, a late reply, a server gone),
for the modules' cleanup, and for the explorer's table: fixed KL bars, headings over their columns,
and a one-click link."""

import copy

import pytest
import torch
from barepage import ORIGIN, Site, mount
from pagetest import APP, mounted
from streamlit.testing.v1 import AppTest

import vae
from vae.checkpoints import checkpoint_bytes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_visit():
    """What the page sends on a first visit (digits, D=2, test #0): the code's URL and the explorer's state."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["pair"] = "digits-z2"
    at.run()
    return {"explorer": mounted(at), "samples": mounted(at, "samples")}


@pytest.fixture
def site(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield Site(page)
    context.close()


def shown(page, test_id="kl-total"):
    return page.get_by_test_id(test_id).inner_text()


def message(page):
    return page.locator(".message:not([data-testid])").first.inner_text()


def explorer(first_visit, **live):
    data = copy.deepcopy(first_visit["explorer"])
    data["live"].update(live)
    return data


def test_it_draws_the_encoders_code_and_commits_nothing_by_itself(site, first_visit):
    mount(site, first_visit["explorer"])
    data = first_visit["explorer"]["live"]
    kl = vae.kl_per_dim(torch.tensor(data["mu"]), torch.tensor(data["sigma"]).log()).sum().item()
    assert shown(site.page) == f"{kl:.3f} nats"
    assert site.page.evaluate("window.calls") == []


@pytest.mark.parametrize("broken, says", [
    (b"\x80\x04 not a safetensors file", "its header runs past the end of the file"),
    (None, "the server answered 404"),
])
def test_a_weights_file_missing_or_broken_is_named_on_the_page(site, first_visit, broken, says):
    name = "0" * 32 + ".safetensors"
    if broken is not None:
        site.files[name] = broken
    mount(site, explorer(first_visit, vae={**first_visit["explorer"]["live"]["vae"], "decoder": f"/files/{name}"}))
    site.page.locator(".message").filter(has_text="could not be used").wait_for()
    text = message(site.page)
    assert text.startswith("The decoder of digits-vae-z2 could not be used in the browser") and says in text
    assert "Reload the page" in text


def test_a_decoder_that_gives_non_finite_values_says_so(site, first_visit):
    model = vae.load_pretrained("digits-vae-z2")
    with torch.no_grad():
        model.decoder[-2].bias[3] = float("nan")  # the last Linear, before the Unflatten
    site.files["nan.safetensors"] = checkpoint_bytes(model, "decoder")
    nan = {**first_visit["explorer"]["live"]["vae"], "decoder": "/files/nan.safetensors"}
    mount(site, explorer(first_visit, vae=nan))
    site.page.locator(".message").filter(has_text="not finite").wait_for()
    assert "The VAE's decoder (digits-vae-z2) gave values that are not finite" in message(site.page)
    assert shown(site.page).endswith("nats")  # the KL does not depend on the decoder, and still shows


def test_the_code_and_files_are_fetched_once_per_page(site, first_visit):
    mount(site, first_visit["explorer"])
    mount(site, explorer(first_visit, mu=[1.0, *first_visit["explorer"]["live"]["mu"][1:]]))  # a rerun
    mount(site, first_visit["samples"], key="samples")
    fetched = [p for p in site.asked if p.startswith(("/files/", "/live/"))]
    assert len(fetched) == len(set(fetched))  # each file once
    data = first_visit["explorer"]["live"]
    assert {data["ae"]["decoder"], data["vae"]["decoder"], data["x"]} <= set(fetched)
    assert not {data["ae"]["encoder"], data["vae"]["encoder"]} & set(fetched)  # only a drawing needs them


def move(page, label, value):
    """A key press on a slider: its value, an input event and a change event."""
    page.locator(f'input[aria-label="{label}"]').evaluate(
        "(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')) }", value)


def test_a_commit_the_server_never_answers_says_so_and_offers_a_reload(site, first_visit):
    mount(site, first_visit["explorer"])
    move(site.page, "mu_0", 1.5)
    site.page.wait_for_function("window.calls.some((call) => call[1] === 'code')")  # committed after the key pause
    notice = site.page.get_by_test_id("unanswered")
    assert notice.is_hidden()
    notice.wait_for(state="visible", timeout=10_000)  # 5 s without an answer: a replica may have died
    assert "has not answered" in notice.inner_text() and notice.get_by_role("button", name="Reload").is_visible()
    seq = site.page.evaluate("window.calls.filter((call) => call[1] === 'code').at(-1)[2].seq")
    mu = [1.5, *first_visit["explorer"]["live"]["mu"][1:]]
    mount(site, explorer(first_visit, mu=mu, seq=seq))  # a late answer after all
    assert notice.is_hidden()


def test_a_late_reply_never_moves_a_slider_being_moved(site, first_visit):
    mount(site, first_visit["explorer"])
    slider = site.page.locator('input[aria-label="mu_0"]')
    move(site.page, "mu_0", 2.5)
    moved = shown(site.page)
    rest = first_visit["explorer"]["live"]["mu"][1:]
    mount(site, explorer(first_visit, mu=[-3.0, *rest]))  # a reply from before this move
    assert slider.evaluate("s => s.valueAsNumber") == 2.5 and shown(site.page) == moved
    site.page.wait_for_function("() => window.calls.length > 0")  # after the key pause: one commit
    (call,) = site.page.evaluate("window.calls")
    assert call[:2] == ["state", "code"] and call[2]["seq"] == 1
    assert call[2]["mu"] == {"0": 2.5} and call[2]["sigma"] == {}  # what the person moved, and nothing else
    mount(site, explorer(first_visit, mu=[2.5, *rest], seq=1))  # the server's answer to that commit
    assert slider.evaluate("s => s.valueAsNumber") == 2.5 and shown(site.page) == moved


def bar_widths(page) -> list[float]:
    return page.evaluate("""() => [...document.getElementById('live').shadowRoot.querySelectorAll('.bar:not(.head) i')]
        .map((i) => i.getBoundingClientRect().width)""")


def test_a_kl_bar_changes_only_with_its_own_kl_on_a_fixed_scale(site, first_visit):
    mount(site, first_visit["explorer"])
    page = site.page
    box = page.get_by_test_id("kl-bar-1").bounding_box()["width"]
    before = bar_widths(page)
    kl = [float(t) for t in page.locator(".num.kl").all_inner_texts()]
    for width, nats in zip(before, kl):
        assert width == pytest.approx(box * min(1, nats / 5), abs=1.5)  # a full bar is 5 nats
    move(page, "mu_0", -3.95)
    after = bar_widths(page)
    assert after[1] == before[1] and after[0] != before[0]  # z1 was not touched: its bar stays
    assert page.get_by_test_id("kl-bar-0").evaluate("b => b.classList.contains('over')")  # more than 5 nats
    assert "5 nats" in page.locator(".head.kl.bar").inner_text()


def test_every_column_is_named_and_its_heading_aligned_with_it(site, first_visit):
    mount(site, first_visit["explorer"])
    columns = site.page.evaluate("""() => {
        const table = document.getElementById('live').shadowRoot.querySelector('.dims');
        const heads = [...table.querySelector('.row.heads').children];  // each row's cells: the headings' and z0's
        const rows = [...table.querySelector('.row:not(.heads)').children];
        return heads.map((head, i) => {
            const cell = rows[i], text = head.firstChild, range = document.createRange();
            range.selectNodeContents(head);
            const h = range.getBoundingClientRect(), c = cell.getBoundingClientRect();
            let content = c;  // a number's text, not its cell
            if (cell.classList.contains('num')) {
                range.selectNodeContents(cell);
                content = range.getBoundingClientRect();
            }
            return {heading: head.textContent, cls: cell.className, head: [h.left, h.right],
                    cell: [content.left, content.right]};
        });
    }""")
    assert len(columns) == 10 and all(c["heading"].strip() for c in columns)
    by_name = {c["heading"]: c for c in columns}
    for number, slider, following in (("AE z", "drag mu", None), ("mu", "drag mu", "drag sigma")):
        # a number stands apart from the slider that follows it, nearer its own (mu reads drag mu)
        n = by_name[number]["cell"]
        after = by_name[slider if number == "AE z" else following]["cell"][0] - n[1]
        assert after >= 12, (number, after)
        if number == "mu":
            assert n[0] - by_name[slider]["cell"][1] < after, (number, n)
    for c in columns:
        if "num" in c["cls"]:  # numbers end where their heading ends
            assert c["head"][1] == pytest.approx(c["cell"][1], abs=1.5), c
        else:  # sliders, bars and the dimension's name start where their heading starts
            assert c["head"][0] == pytest.approx(c["cell"][0], abs=1.5), c


def test_copy_link_copies_this_view_in_one_click(site, first_visit):
    site.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    mount(site, first_visit["explorer"])
    move(site.page, "mu_0", 1.5)
    site.page.get_by_test_id("copy-link").click()
    site.page.get_by_text("Copied").wait_for()
    link = site.page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(f"{ORIGIN}/?") and "mu_0=1.5" in link and "pair=digits-z2" in link  # before any answer


def test_a_link_that_opens_another_input_carries_no_code_and_says_so_when_copied(site, first_visit):
    site.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    note = "an uploaded image cannot travel in a link: it opens test image #7, at its encoder's output"
    mount(site, explorer(first_visit, link_note=note))
    move(site.page, "mu_0", 1.5)  # the upload's code: another input's sliders would not mean it
    site.page.get_by_test_id("copy-link").click()
    site.page.get_by_text("Copied").wait_for()
    assert "mu_0" not in site.page.evaluate("navigator.clipboard.readText()")
    assert site.page.locator(".copied").inner_text() == f"Copied, but {note}."


def test_the_page_and_the_server_sign_numbers_alike_and_zero_has_no_sign(site, first_visit):
    from page.text import signed

    paint = ORIGIN + first_visit["explorer"]["code"].rsplit("/", 1)[0] + "/paint.js"
    values = [-0.001, 0.004, -5.52, 0.39, 0.0, -0.0]
    shown = site.page.evaluate("async ([m, values]) => values.map((await import(m)).signed)", [paint, values])
    assert shown == ["0.00", "0.00", "−5.52", "+0.39", "0.00", "0.00"]  # a collapsed mu_d reads 0.00, not −0.00
    assert shown == [signed(v, "+.2f") for v in values]


def test_where_the_clipboard_is_refused_the_link_is_shown_selected(site, first_visit):
    mount(site, first_visit["explorer"])
    site.page.evaluate("""() => { navigator.clipboard.writeText = () => Promise.reject(new Error('refused'));
                                 document.execCommand = () => false; }""")
    site.page.get_by_test_id("copy-link").click()
    field = site.page.get_by_test_id("link-text")
    field.wait_for()
    assert field.input_value().startswith(f"{ORIGIN}/?") and "Ctrl+C" in site.page.locator(".copied").inner_text()
    assert field.evaluate("f => f.selectionStart === 0 && f.selectionEnd === f.value.length")


def test_cleanup_removes_listeners_followers_and_instances(site, first_visit):
    site.page.evaluate("""() => {  // counts the window listeners that the component's modules add and remove
        window.listening = {};
        const ours = () => new Error().stack.includes("/live/");
        const add = window.addEventListener.bind(window), remove = window.removeEventListener.bind(window);
        const count = (event, by) => { if (ours()) window.listening[event] = (window.listening[event] ?? 0) + by; };
        window.addEventListener = (...a) => { count(a[0], 1); add(...a); };
        window.removeEventListener = (...a) => { count(a[0], -1); remove(...a); };
    }""")
    mount(site, first_visit["explorer"])
    mount(site, first_visit["samples"], key="samples")
    assert site.page.evaluate("window.listening") == {"pointerup": 1, "pointercancel": 1}  # the explorer's
    main = ORIGIN + first_visit["explorer"]["code"]
    assert site.page.evaluate("async (m) => (await import(m)).mountedCount()", main) == 2
    # a superseded mount's cleanup (Streamlit calls one when newer data overtook it): the point stays
    site.page.evaluate("async () => { for (const c of Object.values(window.cleanups)) (await c)(); }")
    site.page.wait_for_timeout(50)
    assert site.page.evaluate("async (m) => (await import(m)).mountedCount()", main) == 2
    move(site.page, "mu_0", 1.5)
    assert shown(site.page).endswith("nats")
    # the component leaves the page, then Streamlit calls the cleanup
    site.page.evaluate("""async () => {
        for (const id of ['live', 'samples']) document.getElementById(id).remove();
        for (const c of Object.values(window.cleanups)) (await c)();
    }""")
    site.page.wait_for_timeout(50)
    assert site.page.evaluate("window.listening") == {"pointerup": 0, "pointercancel": 0}
    assert site.page.evaluate("async (m) => (await import(m)).mountedCount()", main) == 0
    assert site.page.locator(".live").count() == 0  # both modes took their elements with them


def test_a_page_whose_server_changed_reloads_itself_to_its_link(site, first_visit):
    mount(site, first_visit["explorer"])
    move(site.page, "mu_0", 1.5)  # a move the dead server may never have heard
    with site.page.expect_navigation(timeout=10_000):
        site.server = "a-survivor"  # what /live-server answers now: another process
    assert "mu_0=1.5" in site.page.url and "pair=digits-z2" in site.page.url


def test_a_server_that_does_not_answer_leaves_the_page_and_its_notice(site, first_visit):
    site.server = None  # /live-server refuses: no server at all
    mount(site, first_visit["explorer"])
    move(site.page, "mu_0", 1.5)
    site.page.get_by_test_id("unanswered").wait_for(state="visible", timeout=10_000)
    assert site.page.url == f"{ORIGIN}/?pair=digits-z2"  # no reload into nothing
    assert site.page.get_by_test_id("kl-total").is_visible()
