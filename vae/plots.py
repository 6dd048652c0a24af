"""Figure builders: pure functions, arrays in, a figure (or an image array) out. No streamlit."""

import numpy as np
import plotly.graph_objects as go

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # one colour per label
FONT = dict(size=15)


def to_pixels(image: np.ndarray, size: int = 224) -> np.ndarray:
    """An image (C, H, W) or (H, W) in [0, 1] as uint8 (size', size') with crisp square pixels.

    The browser would blur an 8x8 image scaled up; nearest-neighbour scaling here keeps each
    pixel a visible square on a projector. Values outside [0, 1] are clipped.
    """
    a = np.asarray(image, dtype=np.float64)
    a = a.mean(axis=0) if a.ndim == 3 else a
    k = max(1, size // max(a.shape))
    a = np.kron(np.nan_to_num(a, nan=0.0).clip(0, 1), np.ones((k, k)))
    return (a * 255).round().astype(np.uint8)


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
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def kl_bar_figure(kl_per_dim: np.ndarray, collapsed: np.ndarray | None = None, height: int = 260) -> go.Figure:
    """KL per latent dimension in nats; collapsed dimensions (inactive units) drawn grey."""
    kl = np.asarray(kl_per_dim, dtype=np.float64)
    colours = ["#bbbbbb" if collapsed is not None and collapsed[d] else "#d62728" for d in range(len(kl))]
    top = max(float(np.nanmax(kl)) if len(kl) else 0.0, 0.1)
    bar = {
        "type": "bar", "x": [f"z{d}" for d in range(len(kl))], "y": kl, "marker": {"color": colours},
        "text": [f"{v:.2f}" for v in kl], "textposition": "outside", "cliponaxis": False,
        "hovertemplate": "dimension %{x}<br>KL %{y:.4f} nats<extra></extra>",
    }
    return figure([bar], {
        "height": height, "margin": {"l": 50, "r": 10, "t": 30, "b": 30}, "font": FONT,
        "yaxis": {"title": {"text": "KL (nats)"}, "range": [0, top * 1.2]},
        "title": {"text": "KL per dimension (this input)", "font": {"size": 15}},
    })


def latent_map_figure(
    points: np.ndarray,
    labels: np.ndarray,
    label_names,
    dims: tuple[int, int] = (0, 1),
    ids: np.ndarray | None = None,
    current: np.ndarray | None = None,
    cloud: np.ndarray | None = None,
    title: str = "",
    height: int = 460,
) -> go.Figure:
    """Codes of a split (N, D) seen in two dimensions, coloured by label, with the prior's 1 and 2
    sigma circles, the current z (D,) as a star and a cloud of samples (K, D) around it.
    Each data point carries its id (default: its row) as customdata, so a click can say which
    example it is.
    """
    i, j = dims
    ids = np.arange(len(points)) if ids is None else np.asarray(ids)
    traces = []
    for k, name in enumerate(label_names):
        rows = np.flatnonzero(labels == k)
        if len(rows) == 0:
            continue
        traces.append({
            "type": "scatter", "mode": "markers", "name": str(name),
            "x": points[rows, i], "y": points[rows, j], "customdata": ids[rows],
            "marker": {"size": 7, "color": PALETTE[k % len(PALETTE)], "opacity": 0.75},
            "hovertemplate": f"label {name}<br>#%{{customdata}}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
        })
    if cloud is not None and len(cloud):
        traces.append({
            "type": "scatter", "mode": "markers", "name": "samples of z", "x": cloud[:, i], "y": cloud[:, j],
            "marker": {"size": 8, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 1.5}},
            "hovertemplate": "sampled z<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
        })
    if current is not None:
        traces.append({
            "type": "scatter", "mode": "markers", "name": "current z", "x": [current[i]], "y": [current[j]],
            "marker": {"size": 18, "symbol": "star", "color": "gold", "line": {"color": "black", "width": 1.5}},
            "hovertemplate": "current z<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
        })
    circles = [
        {"type": "circle", "x0": -r, "y0": -r, "x1": r, "y1": r, "line": {"color": "#555", "width": 1.5, "dash": dash}}
        for r, dash in ((1, "solid"), (2, "dash"))
    ]
    return figure(traces, {
        "title": {"text": title, "font": {"size": 16}}, "height": height, "font": FONT, "shapes": circles,
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40}, "legend": {"itemsizing": "constant"},
        "xaxis": {"title": {"text": f"z{i}"}, "zeroline": True},
        "yaxis": {"title": {"text": f"z{j}"}, "scaleanchor": "x", "zeroline": True},
        "clickmode": "event+select", "dragmode": "pan",
    })
