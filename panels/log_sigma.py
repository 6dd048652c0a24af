"""The seed's side note, demonstrated: why the network outputs log sigma, not sigma."""

import numpy as np
import streamlit as st

from page.text import number, signed
from page.view import View
from panels import chart_config
from vae import lessons, plots

SMALL, LARGE = 1e-4, 10.0  # the sigma the sentence quotes gradients at, both inside the chart's range
GROUPS = {  # meaning of the output -> (the group's heading, the column that says what sigma the output gives)
    "sigma": ("if the output means sigma (sigma = output)", "log sigma"),
    "log_sigma": ("if the output means log sigma (sigma = e^output)", "sigma"),
}
COLUMNS = ("KL (nats)", "dKL/d output")


def log_sigma_ui(view: View) -> None:
    small, large = (lessons.gradients_at([s]) for s in (SMALL, LARGE))
    st.markdown(
        "The KL term needs log sigma. If the network outputs **sigma**, the KL's gradient with respect to that "
        f"output is sigma − 1/sigma: it goes to −∞ as sigma → 0 ({signed(small['sigma'][0], ',.0f')} at sigma = "
        f"{SMALL:g}), and an output of 0 or below, which a linear layer can give, makes log sigma −∞ or undefined "
        "(the inf and nan in the table's middle columns). If it outputs **log sigma**, the gradient is sigma² − 1: "
        f"it tends to −1 as sigma → 0 and never goes below −1 ({signed(small['log_sigma'][0], '.4f')} at sigma = "
        f"{SMALL:g}), and every real output is a valid sigma = e^output, with a finite KL and gradient (the table's "
        "right-hand columns). Above sigma = 1 the log sigma gradient is the steeper one "
        f"({signed(large['log_sigma'][0], '.0f')} at sigma = {LARGE:g}, against {signed(large['sigma'][0], '.1f')}; "
        "the left of the chart): both pull a large sigma back down. Only at small sigma does the sigma output break."
    )
    sigma, grad_sigma, grad_log = lessons.gradient_curves()
    st.plotly_chart(plots.side_note_figure(sigma, grad_sigma, grad_log), key="log_sigma_plot",
                    config=chart_config("why-log-sigma"))
    st.markdown(side_note_html(lessons.side_note_table()), unsafe_allow_html=True)
    smallest = float(np.min(view.sigma0))
    here = lessons.gradients_at([smallest])
    st.caption(
        f"Computed by autograd in float32, mu = 0. Here, this VAE's encoder gives sigma as small as "
        f"{number(smallest, 3)} for the current input: a sigma output would feed the optimiser a KL gradient of "
        f"{number(here['sigma'][0], 3)}; the log sigma output feeds it {number(here['log_sigma'][0], 3)}."
    )


def side_note_html(table: dict[str, dict[str, np.ndarray]]) -> str:
    """One row per network output, one column group per meaning of it. As text, so that inf and NaN
    show as themselves (in float32, e^-50 is 1.9e-22 and 1e-50 would be 0)."""
    head = ('<tr><th rowspan="2">network output</th>'
            + "".join(f'<th colspan="3">{heading}</th>' for heading, _ in GROUPS.values()) + "</tr><tr>"
            + "".join(f"<th>{name}</th>" for _, shown in GROUPS.values() for name in (shown, *COLUMNS)) + "</tr>")
    rows = []
    for i, output in enumerate(table["sigma"]["output"]):
        cells = [output] + [table[meaning][key][i] for meaning, (_, shown) in GROUPS.items()
                            for key in (shown, "KL", "gradient")]
        rows.append("<tr>" + "".join(f'<td style="text-align: right">{number(v)}</td>' for v in cells) + "</tr>")
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
