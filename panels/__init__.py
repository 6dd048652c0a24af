"""The explorer's panels. Each takes the page's current View and draws one part of the page;
the numbers come from vae.explore and the figures from vae.plots."""


def chart_config(name: str) -> dict:
    """A chart's Plotly toolbar (on hover): save it as name.png at twice its size on screen, for a slide or a
    handout, zoom and reset; Streamlit's own hover toolbar shows it full screen."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2},
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
