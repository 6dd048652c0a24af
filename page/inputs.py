"""The input: a test image (its number, Random, or the gallery), an upload, or a drawing on the pad.
The source last chosen is the input (session.chosen); choosing one leaves the others."""

import numpy as np
import streamlit as st

import vae
from live import component as live
from live import drawing
from page.models import test_split
from page.state import Drawing, Input, TestImage, Upload, session
from page.text import plain
from vae.data import MAX_UPLOAD_BYTES, conversion


def placing(card) -> str:
    """How an upload or a drawing becomes one of the dataset's images (vae.data.conversion), as a person
    drawing or uploading needs to know it."""
    how = conversion(card.dataset, card.image_shape[-2:])
    if how["place"] == "mnist":
        return (f"the digit's box is fitted into {how['box']} × {how['box']} pixels and placed by its centre of "
                "mass, as MNIST's were.")
    if how["place"] == "crop":
        return "cropped to its content" + (", with a margin," if how["margin"] else "") + " and resized to the frame."
    return ("the whole frame is kept as it is, so where a shape is and how big it is count; the test sprites are "
            "small (the largest spans under half the frame, most about a quarter): draw a small filled shape.")


def use_test_image() -> None:
    """A test image chosen: it is the input (a drawing leaves the pad, an upload the uploader)."""
    session.choose(None)


def pick_random(n: int) -> None:
    session.index = int(np.random.default_rng().integers(n))
    use_test_image()


def take_upload(key: str, card) -> None:
    """A file dropped on the uploader: the input if it converts; else refused with the reason beside the
    uploader, and the input stays what it was. Either way the file is taken off a fresh, empty uploader
    (the input's caption names it): a listed file would be replaced by the browser's uploader with an
    empty value first, and a refused file after it would find the input already gone."""
    upload = session.sent(key)
    if upload is None:  # emptied before the page gave a fresh uploader: nothing new is chosen
        return
    session.upload_gen += 1
    chosen = Upload(upload.name, upload.getvalue())
    try:
        converted_upload(chosen, card)  # kept: the run this callback starts shows it
    except vae.InputError as e:
        was = session.input_caption
        session.upload_error = f"{plain(upload.name)} was not used: {e} The input is still {plain(was)}."
        return
    session.choose(chosen)


def converted_upload(upload: Upload, card) -> np.ndarray:
    """An upload converted like card's dataset: once per file and dataset."""
    return _converted(upload.sha, card.dataset, tuple(card.image_shape), upload, card)


@st.cache_data(show_spinner=False, max_entries=64)
def _converted(sha: str, dataset: str, shape: tuple, _upload: Upload, _card) -> np.ndarray:
    return vae.image_from_bytes(_upload.data, _card)[0].numpy()  # raises InputError with the reason


def current_input(card) -> tuple[Input, np.ndarray, str, str | None]:
    """The input the page shows for card's pair: the source chosen last (a drawing, an upload) if it can
    be shown for this pair, else the test image. Returns it, its image (C, H, W), its caption, and why the
    chosen source could not be used (or None)."""
    data = test_split(card)
    index = min(session.index, len(data) - 1)
    chosen = session.chosen
    if isinstance(chosen, Drawing):
        drawn = drawing.pixels(chosen.text, card)
        if drawn is not None:  # None: a drawing for another pair's image size
            return chosen, drawn, "your drawing", None
    problem = None
    if isinstance(chosen, Upload):
        try:
            return chosen, converted_upload(chosen, card), f"upload: {chosen.filename}", None
        except vae.InputError as e:  # usable for the pair it came with, not for this one
            problem = f"{plain(chosen.filename)}: {e}"
    label = data.label_names[data.labels[index]]
    return TestImage(index), data.images[index].numpy(), f"test #{index} ({label})", problem


def input_ui(card) -> None:
    """The sidebar's sources of the input: a test image (its number, or Random), the drawing pad, an upload."""
    data = test_split(card)
    st.sidebar.subheader("Input")
    if session.index >= len(data):
        session.index = 0
    # side by side, so that the pad and its buttons below fit a 720-px projector's sidebar
    with st.sidebar.container(horizontal=True, vertical_alignment="bottom", gap="xsmall"):
        st.number_input("Test image #", 0, len(data) - 1, key="index", step=1, on_change=use_test_image, width=96)
        st.button("Random", key="random", on_click=pick_random, args=(len(data),), icon=":material/casino:",
                  help="A test image at random", width="content")
    placed = placing(card)
    if not session.presenter:  # presenter mode hides the sidebar; its encoding step has a pad
        st.sidebar.markdown("…or draw one", help=f"Converted as an upload is: {placed} The explorer "
                                                "encodes it as you draw, and the link keeps it.")
        with st.sidebar:
            live.draw_ui(card)
    key = f"upload_{session.upload_gen}"
    st.sidebar.file_uploader(
        "…or upload an image", key=key, on_change=take_upload, args=(key, card),
        help="A photo or scan of one digit (or shape), converted like the dataset: grayscale, light ink on dark; "
             + placed)
    st.sidebar.caption(f"PNG, JPEG, BMP, GIF or WebP, up to {MAX_UPLOAD_BYTES >> 20} MB; large photos "
                       "are scaled down.")
    if session.upload_error:
        st.sidebar.error(session.upload_error, icon=":material/error:")
    if isinstance(session.chosen, Upload):  # an upload made for another pair may not convert for this one
        _, _, caption, problem = current_input(card)
        if problem:
            st.sidebar.error(f"{problem} The input is {caption}.", icon=":material/error:")


def gallery_ui(card) -> None:
    gallery = st.sidebar.expander("Gallery: the first test images", key="gallery", on_change="rerun")
    if gallery.open:  # drawn only when opened: a first visit need not wait for it
        with gallery:
            st.caption("Click a digit to make it the input.")
            live.gallery_ui(test_split(card), session.index, on_pick=pick_test_image)


def pick_test_image(index: int) -> None:
    session.index = index
    use_test_image()
