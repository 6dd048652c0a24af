"""A drawn input's link form (the `draw=` text): base64url, 4 bits a pixel (k / 15), two pixels a byte, the
first in the high bits, as live/js/convert.js writes it. Read here, with no streamlit, so that the page
(live/component.py, live/link.py) and the class board's server (routes/board/) read one format with one function."""

import base64
import binascii
import re

import numpy as np

MAX_LENGTH = 1024  # 523 characters for MNIST, 683 for a sprite


def pixels(text: str, card) -> np.ndarray | None:
    """The drawn input (C, H, W) float32 of k / 15 from its link form; None if the text is not one for card's
    image size."""
    c, h, w = card.image_shape
    if not isinstance(text, str) or len(text) > 2 * h * w or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        return None
    try:
        packed = np.frombuffer(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), dtype=np.uint8)
    except (ValueError, binascii.Error):
        return None
    if len(packed) != (h * w + 1) // 2:
        return None
    levels = np.stack([packed >> 4, packed & 15], axis=1).ravel()[: h * w]
    return np.repeat((levels / 15.0).reshape(1, h, w), c, axis=0).astype(np.float32)
