"""Issue 29's truth items in Chromium against a real `streamlit run`: the explorer's L_VAE line, and a
refused upload after a good one (the browser's own file uploader, not AppTest's, is what replaces a
listed file)."""

import numpy as np
import pytest
from liveapp import open_app
from PIL import Image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(browser, server):
    """Opens the app at a query in a new browser context."""
    return lambda query: open_app(browser, server + query)


def test_the_explorers_l_vae_line_is_the_formula_panels(page):
    at_beta_4 = page("/?pair=mnist-z8&vae=mnist-vae-z8-b4")
    line = at_beta_4.locator(".live p.loss")
    line.filter(has_text="nats").wait_for(timeout=60_000)
    # mnist-vae-z8-b4 on test image 0: the line test_truth.py reads in The formula panel (which said 102.68)
    assert line.inner_text() == "L_VAE = VAE reconstruction + beta·KL = 69.39 + 4 × 8.33 = 102.71 nats"
    at_beta_4.context.close()


def test_a_refused_file_after_a_photo_leaves_the_photo_the_input(page, tmp_path):
    page = page("/?pair=digits-z8")
    digit = np.full((48, 48), 255, dtype=np.uint8)
    digit[8:40, 21:27] = 0
    good, bad = tmp_path / "one.png", tmp_path / "notes.png"
    Image.fromarray(digit).save(good)
    bad.write_bytes(b"these are notes, not a picture")
    files = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    files.set_input_files(str(good))
    page.get_by_text("Input: upload: one.png").wait_for(timeout=30_000)
    files.set_input_files(str(bad))  # dropped on the same uploader, as a person drops a second file
    page.get_by_text("not an image that can be read").wait_for(timeout=30_000)
    assert page.get_by_text("The input is still upload: one.png").count() == 1
    assert page.get_by_text("Input: upload: one.png").count() == 1
    page.context.close()
