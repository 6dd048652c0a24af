"""The input: a test image (its number, Random, or the gallery), an upload, or a drawing on the pad.
The source last chosen is the input; choosing one leaves the others (session state "source")."""

import hashlib

import numpy as np
import streamlit as st

import vae
from live import component as live
from page.models import test_split
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
    """A test image chosen: it is the input, and an upload's refusal note goes (a drawing leaves the pad)."""
    leave_upload()
    st.session_state.update(source="test")


def leave_upload() -> None:
    st.session_state.upload_error = None


def take_drawing(text: str, seq: int) -> None:
    """A stroke ended on the pad: the drawing is the input (the explorer drew it already). An emptied
    pad ("") gives the input back to the test image, as a class expects of Clear drawing."""
    st.session_state.drawing_seq = seq
    if not text:
        if st.session_state.get("source") == "drawing":
            st.session_state.source = "test"
        return
    leave_upload()
    st.session_state.update(source="drawing", drawing=text)


def pick_random(n: int) -> None:
    st.session_state.index = int(np.random.default_rng().integers(n))
    use_test_image()


def take_upload(key: str, card) -> None:
    """A file dropped on the uploader: the input if it converts; else refused with the reason beside the
    uploader, and the input stays what it was. Either way the file is taken off a fresh, empty uploader
    (the input's caption names it): a listed file would be replaced by the browser's uploader with an
    empty value first, and a refused file after it would find the input already gone."""
    upload = st.session_state.get(key)
    if upload is None:  # emptied before the page gave a fresh uploader: nothing new is chosen
        return
    st.session_state.upload_gen = st.session_state.get("upload_gen", 0) + 1
    try:
        vae.image_from_bytes(upload.getvalue(), card)
    except vae.InputError as e:
        was = st.session_state.get("input_caption", "the test image")
        st.session_state.upload_error = f"{plain(upload.name)} was not used: {e} The input is still {plain(was)}."
        return
    st.session_state.update(source="upload", upload_error=None, upload_file=(upload.name, upload.getvalue()))


def converted_upload(card) -> tuple[np.ndarray, str, str]:
    """The last upload taken, converted like card's dataset: once per file and dataset."""
    name, data = st.session_state.upload_file
    made_for = (hashlib.sha256(data).hexdigest()[:16], card.dataset, tuple(card.image_shape))
    kept = st.session_state.get("upload_input")
    if kept is None or kept[0] != made_for:
        x = vae.image_from_bytes(data, card)[0].numpy()  # raises InputError with the reason
        kept = (made_for, (x, f"upload: {name}", f"upload:{made_for[0]}"))
        st.session_state.upload_input = kept
    return kept[1]


def input_ui(card) -> tuple[np.ndarray, str, str]:
    """The input image (C, H, W), a caption, and an id that changes when the input does: the source last
    chosen, a test image (its number, or Random) or an upload."""
    data = test_split(card)
    st.sidebar.subheader("Input")
    if st.session_state.get("index", 0) >= len(data):
        st.session_state.index = 0
    # side by side, so that the pad and its buttons below fit a 720-px projector's sidebar
    with st.sidebar.container(horizontal=True, vertical_alignment="bottom", gap="xsmall"):
        index = st.number_input("Test image #", 0, len(data) - 1, key="index", step=1, on_change=use_test_image,
                                width=96)
        st.button("Random", key="random", on_click=pick_random, args=(len(data),), icon=":material/casino:",
                  help="A test image at random", width="content")
    placed = placing(card)
    if not st.session_state.get("presenter"):  # presenter mode hides the sidebar; its encoding step has a pad
        st.sidebar.markdown("…or draw one", help=f"Converted as an upload is: {placed} The explorer "
                                                "encodes it as you draw, and the link keeps it.")
        with st.sidebar:
            live.draw_ui(card, on_drawing=take_drawing)
    key = f"upload_{st.session_state.get('upload_gen', 0)}"
    st.sidebar.file_uploader(
        "…or upload an image", key=key, on_change=take_upload, args=(key, card),
        help="A photo or scan of one digit (or shape), converted like the dataset: grayscale, light ink on dark; "
             + placed)
    st.sidebar.caption(f"PNG, JPEG, BMP, GIF or WebP, up to {MAX_UPLOAD_BYTES >> 20} MB; large photos "
                       "are scaled down.")
    if st.session_state.get("upload_error"):
        st.sidebar.error(st.session_state.upload_error, icon=":material/error:")
    label = data.label_names[data.labels[index]]
    test = data.images[index].numpy(), f"test #{index} ({label})", f"{card.dataset}:{index}"
    if st.session_state.get("source") == "drawing":
        drawn = live.drawing_input(st.session_state.get("drawing"), card)
        if drawn is not None:  # None: a drawing for another pair's image size
            return drawn, "your drawing", f"drawing:{st.session_state.drawing}"
    if st.session_state.get("source") == "upload":
        try:
            return converted_upload(card)
        except vae.InputError as e:  # usable for the pair it came with, not for this one
            st.sidebar.error(f"{st.session_state.upload_file[0]}: {e} The input is {test[1]}.", icon=":material/error:")
    return test


def gallery_ui(card) -> None:
    gallery = st.sidebar.expander("Gallery: the first test images", key="gallery", on_change="rerun")
    if gallery.open:  # drawn only when opened: a first visit need not wait for it
        with gallery:
            st.caption("Click a digit to make it the input.")
            live.gallery_ui(test_split(card), st.session_state.get("index", 0), on_pick=pick_test_image)


def pick_test_image(index: int) -> None:
    st.session_state.index = index
    use_test_image()
