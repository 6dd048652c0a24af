"""Figure builders: pure functions, arrays in, a figure (or an image array) out. No streamlit."""

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # one colour per label
FONT = dict(size=15)
READABLE = {"size": 14, "color": "#31333f"}  # ticks, legends, labels by points and bars (Streamlit's theme: 12 px grey)


def to_pixels(image: np.ndarray, size: int = 224) -> np.ndarray:
    """An image (C, H, W) or (H, W) in [0, 1] as uint8 (size', size') with crisp square pixels.

    The browser would blur an 8x8 image scaled up; nearest-neighbour scaling here keeps each
    pixel a visible square on a projector. Values outside [0, 1] are clipped.
    """
    a = np.asarray(image, dtype=np.float64)
    a = a.mean(axis=0) if a.ndim == 3 else a
    k = max(1, size // max(a.shape))
    a = (np.nan_to_num(a, nan=0.0).clip(0, 1) * 255).round().astype(np.uint8)
    return a.repeat(k, axis=0).repeat(k, axis=1)


def image_grid(images: np.ndarray, cols: int, size: int = 64, pad: int = 2) -> np.ndarray:
    """(N, C, H, W) or (N, H, W) images in a grid of cols columns, uint8, light padding between."""
    tiles = [to_pixels(im, size) for im in images]
    th, tw = tiles[0].shape
    rows = -(-len(tiles) // cols)
    grid = np.full((rows * (th + pad) + pad, cols * (tw + pad) + pad), 200, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        grid[pad + r * (th + pad) : pad + r * (th + pad) + th, pad + c * (tw + pad) : pad + c * (tw + pad) + tw] = tile
    return grid


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, without plotly's per-property validation.

    Validation costs ~30 ms for a latent map, on every slider move; these specs are fixed and
    covered by tests, so the explorer skips it (plotly.express does the same internally).
    """
    def readable(spec: dict, key: str) -> dict:  # spec with READABLE under its own settings of key
        return {**spec, key: {**READABLE, **spec.get(key, {})}}

    axes = {key for key in layout if key.startswith(("xaxis", "yaxis"))} | {"xaxis", "yaxis"}
    layout = {**layout, "legend": readable(layout.get("legend", {}), "font"),
              **{key: readable(layout.get(key, {}), "tickfont") for key in axes},
              "annotations": [readable(note, "font") for note in layout.get("annotations", [])]}
    data = [readable(trace, "textfont") if "text" in trace else trace for trace in data]
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def kl_bar_figure(kl_per_dim: np.ndarray, collapsed: np.ndarray | None = None, labels: list[str] | None = None,
                  title: str = "KL per dimension", height: int = 260) -> go.Figure:
    """KL per latent dimension in nats; collapsed dimensions (inactive units) drawn grey."""
    kl = np.asarray(kl_per_dim, dtype=np.float64)
    colours = ["#bbbbbb" if collapsed is not None and collapsed[d] else "#d62728" for d in range(len(kl))]
    top = max(float(np.nanmax(kl)) if len(kl) else 0.0, 0.1)
    bar = {
        "type": "bar", "x": labels or [f"z{d}" for d in range(len(kl))], "y": kl, "marker": {"color": colours},
        "text": [f"{v:.2f}" for v in kl], "textposition": "outside", "cliponaxis": False,
        "hovertemplate": "dimension %{x}<br>KL %{y:.4f} nats<extra></extra>",
    }
    return figure([bar], {
        "height": height, "margin": {"l": 50, "r": 10, "t": 30, "b": 30}, "font": FONT,
        "yaxis": {"title": {"text": "KL (nats)"}, "range": [0, top * 1.2]},
        "title": {"text": title, "font": {"size": 15}},
    })


def png_data_uri(image: np.ndarray) -> str:
    """A uint8 or [0, 1] grayscale image as a PNG data URI, for a figure's background."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def manifold_figure(grid_image: np.ndarray, extent, points: np.ndarray | None = None, labels: np.ndarray | None = None,
                    label_names=(), title: str = "", height: int = 520) -> go.Figure:
    """A 2-D decoder's output over its latent plane (grid_image spanning extent = (x0, x1, y0, y1)),
    and, if points (N, 2) are given, the data's codes scattered over it, coloured by label."""
    x0, x1, y0, y1 = extent
    traces = [] if points is None else [{
        "type": "scatter", "mode": "markers", "name": str(name),
        "x": points[labels == k, 0], "y": points[labels == k, 1],
        "marker": {"size": 4, "color": PALETTE[k % len(PALETTE)], "opacity": 0.6},
        "hovertemplate": f"label {name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
    } for k, name in enumerate(label_names) if (labels == k).any()]
    return figure(traces, {
        "title": {"text": title, "font": {"size": 16}}, "height": height, "font": FONT,
        "images": [{"source": png_data_uri(grid_image), "xref": "x", "yref": "y", "x": x0, "y": y1,
                    "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch", "layer": "below"}],
        # constrain "domain": the plot shrinks (towards the title) to keep z0 and z1 at one scale, so the
        # axes end where the tiles do
        "xaxis": {"title": {"text": "z0"}, "range": [x0, x1], "showgrid": False, "zeroline": False,
                  "constrain": "domain"},
        "yaxis": {"title": {"text": "z1"}, "range": [y0, y1], "showgrid": False, "zeroline": False,
                  "scaleanchor": "x", "constrain": "domain", "constraintoward": "top"},
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40}, "legend": {"itemsizing": "constant"},
    })


def rate_distortion_figure(models: list[dict], current: str | None = None, reference: float | None = None,
                           height: int = 420) -> go.Figure:
    """One point per model: KL (rate) against reconstruction (distortion), test-split means in
    nats per example. models: dicts with name, label (written beside the point), kl, reconstruction;
    the current one is starred. reference: the AE's reconstruction, drawn as a line and named in the
    legend (an AE has no KL term to place it by), where no point can cover its name."""
    traces = [{
        "type": "scatter", "mode": "markers", "name": m["name"], "showlegend": False,
        "x": [m["kl"]], "y": [m["reconstruction"]], "cliponaxis": False,
        "marker": {"size": 20, "symbol": "star", "color": "gold", "line": {"color": "black", "width": 1}}
        if m["name"] == current else {"size": 11, "color": "#1f77b4", "line": {"color": "black", "width": 1}},
        "hovertemplate": f"{m['name']}<br>KL %{{x:.2f}} nats<br>reconstruction %{{y:.2f}} nats<extra></extra>",
    } for m in models]
    kls = [m["kl"] for m in models]
    top_kl = max(kls + [1.0])
    notes = []
    for m in models:  # each label above its point, clear of a star (20 px wide), away from its nearest neighbour,
        # but never over the y axis's numbers: where the plot (600 px or more wide, 8 px a character) has no room
        # on a point's left, as near KL 0 (a collapsed model), its label goes on its right
        nearest = min((k for k in kls if k != m["kl"]), key=lambda k: abs(k - m["kl"]), default=m["kl"] - 1)
        room = (m["kl"] / top_kl + 0.05) / 1.35 * 600  # px from the plot's left edge (the x range below)
        left = nearest > m["kl"] and room > 14 + 8 * len(m["label"])
        notes.append({"x": m["kl"], "y": m["reconstruction"], "text": m["label"], "showarrow": False,
                      "xanchor": "right" if left else "left", "xshift": -14 if left else 14, "yanchor": "bottom",
                      "yshift": 6, "bgcolor": "rgba(255,255,255,0.85)"})
    ys = [m["reconstruction"] for m in models] + ([] if reference is None else [reference])
    pad = 0.15 * (max(ys) - min(ys)) + 0.5  # room for the labels above the highest point
    if reference is not None:
        traces.append({
            "type": "scatter", "mode": "lines", "name": f"AE (no KL term): {reference:.2f}",
            "x": [-0.05 * top_kl, 1.3 * top_kl], "y": [reference, reference], "hoverinfo": "skip",
            "line": {"color": "#d62728", "dash": "dot", "width": 2},
        })
    return figure(traces, {
        "annotations": notes,
        "title": {"text": "Rate against distortion (test split, nats per example)", "font": {"size": 16}},
        "height": height, "font": FONT, "margin": {"l": 60, "r": 20, "t": 50, "b": 90},
        "xaxis": {"title": {"text": "KL (rate)"}, "range": [-0.05 * top_kl, 1.3 * top_kl]},
        "yaxis": {"title": {"text": "reconstruction (distortion)"}, "range": [min(ys) - pad / 2, max(ys) + pad]},
        "legend": {"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"},
    })


def kl_terms_figure(terms: dict[str, np.ndarray], kl: np.ndarray, height: int = 340) -> go.Figure:
    """Per dimension, the terms inside the KL's bracket as bars (hover for values) and KL_d, their half-sum."""
    names = [f"z{d}" for d in range(len(kl))]
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f"]
    bars = [{
        "type": "bar", "name": name, "x": names, "y": np.asarray(values, dtype=np.float64),
        "marker": {"color": colours[i % len(colours)]},
        "hovertemplate": f"%{{x}}: {name} = %{{y:.4f}}<extra></extra>",
    } for i, (name, values) in enumerate(terms.items())]
    bars.append({
        "type": "scatter", "mode": "markers", "name": "KL_d = ½ (sum)", "x": names, "y": np.asarray(kl),
        "marker": {"symbol": "diamond", "size": 13, "color": "black"},
        "hovertemplate": "%{x}: KL = %{y:.4f} nats<extra></extra>",
    })
    return figure(bars, {
        "barmode": "relative", "height": height, "font": FONT, "margin": {"l": 50, "r": 10, "t": 30, "b": 30},
        "yaxis": {"title": {"text": "nats"}}, "legend": {"orientation": "h", "y": 1.12},
    })


def side_note_figure(sigma: np.ndarray, grad_sigma: np.ndarray, grad_log: np.ndarray, height: int = 380) -> go.Figure:
    """|dKL/d output| against sigma, log-log, for a network that outputs sigma and one that outputs log sigma
    (grad_sigma, grad_log: the signed gradients at sigma). sigma falls from left to right."""
    lines = [
        {"type": "scatter", "mode": "lines", "name": "output sigma: |sigma − 1/sigma|", "x": sigma,
         "y": np.abs(grad_sigma), "line": {"color": "#d62728", "width": 3}},
        {"type": "scatter", "mode": "lines", "name": "output log sigma: |sigma² − 1|", "x": sigma,
         "y": np.abs(grad_log), "line": {"color": "#1f77b4", "width": 3}},
    ]
    return figure(lines, {
        "height": height, "font": FONT, "margin": {"l": 60, "r": 10, "t": 40, "b": 50},
        "title": {"text": "How steep the KL is for the optimiser (mu = 0)", "font": {"size": 16}},
        "xaxis": {"type": "log", "title": {"text": "sigma (falling to the right)"}, "autorange": "reversed",
                  "exponentformat": "power"},
        "yaxis": {"type": "log", "title": {"text": "|dKL / d output|"}, "exponentformat": "power"},
        "legend": {"orientation": "h", "y": -0.2},
    })


def training_figure(history: dict[str, list], height: int = 320) -> go.Figure:
    """Live training curves: every column of history but "epoch" against epoch (None: not yet)."""
    lines = [{"type": "scatter", "mode": "lines", "name": name, "x": history["epoch"], "y": values,
              "line": {"width": 3}} for name, values in history.items() if name != "epoch"]
    return figure(lines, {
        "height": height, "font": FONT, "margin": {"l": 60, "r": 10, "t": 30, "b": 40},
        "xaxis": {"title": {"text": "epoch"}}, "yaxis": {"title": {"text": "nats per example (batch means)"}},
        "legend": {"orientation": "h", "y": 1.15},
    })
