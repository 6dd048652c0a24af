"""Text as the page writes it: true minus signs, numbers a class reads, Markdown that stays text."""

import math
import re

import numpy as np

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MARKDOWN_MARKS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """A person's text (a file's name, a folder) as Markdown shows it, letter for letter: no link, image,
    emphasis or Streamlit directive made of it."""
    return MARKDOWN_MARKS.sub(r"\\\1", text)


def signed(v: float, fmt: str) -> str:
    """v formatted with a true minus sign (−), as the explorer writes it; what rounds to zero has no sign,
    nor has nan."""
    text = format(v, fmt)
    if np.isnan(v) or float(text.replace(",", "")) == 0:
        return text.lstrip("+-")
    return text.replace("-", "−")


def number(v: float, digits: int = 4) -> str:
    """v to `digits` significant digits as a class reads it: −10,000, 0.0002, 1.929 × 10⁻²², inf, nan."""
    if not np.isfinite(v):
        return signed(v, "")
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")  # rounded first: 99,999.7 is 1.000e+05
    if v != 0 and not -4 <= int(exponent) < 5:
        mantissa = mantissa.rstrip("0").rstrip(".").replace("-", "−")
        return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"
    text = np.format_float_positional(float(f"{mantissa}e{exponent}"), precision=digits, unique=False,
                                      fractional=False, trim="-")
    whole, _, fraction = text.lstrip("-").partition(".")
    return ("−" if v < 0 else "") + f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def _hundredths(v: float) -> int:
    return math.floor(v * 100 + 0.5)  # v ≥ 0, half-way up, as live/js/model.js rounds


def _places(n: int) -> str:
    return f"{n // 100}.{n % 100:02d}"


def two_places(v: float) -> str:
    """v ≥ 0 to two places, half-way up, as live/js/model.js writes it (format rounds half-way to even,
    toFixed up: 0.125 would be 0.12 here and 0.13 there)."""
    return _places(_hundredths(v)) if math.isfinite(v) else "not finite"


def loss_vae_line(reconstruction: float, beta: float, kl: float) -> str:
    """"69.37 + 4 × 8.33 = 102.69 nats": L_VAE = reconstruction + beta × KL as the sum of its rounded terms, in
    integer hundredths, so that the line adds up as read; live/js/model.js's lossVaeLine writes the same line
    for the same numbers. 1e-9 absorbs beta's binary error (0.3 × 5 is 1.4999999999999998)."""
    terms = f"{two_places(reconstruction)} + {'' if beta == 1 else f'{beta:g} × '}{two_places(kl)}"
    if not math.isfinite(reconstruction + kl):
        return f"{terms} = not finite"
    return f"{terms} = {_places(_hundredths(reconstruction) + math.floor(beta * _hundredths(kl) + 0.5 + 1e-9))} nats"


def _rows(columns: dict[str, list], decimals: int) -> list[list[str]]:
    """The table's cells as text: strings as they are, numbers to decimals places."""
    return [[v if isinstance(v, str) else f"{float(v):.{decimals}f}" for v in row] for row in zip(*columns.values())]


def markdown_table(columns: dict[str, list], decimals: int = 3) -> str:
    """A table as Markdown: light to send on every slider move, and no pandas in the server."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(columns, decimals)]
    return "\n".join(lines)

