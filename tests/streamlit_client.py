"""A Streamlit client that speaks the server's own websocket protocol (protobuf BackMsg/ForwardMsg),
light enough to run a whole class of sessions from one process.

It keeps what a browser keeps: the page's elements by delta path, and the widget values it has
set; a widget move or a commit of the explorer's code is sent as the browser sends it, as a rerun of
the fragment the widget is in.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Session:
    url: str  # http://127.0.0.1:PORT
    query_string: str = ""
    elements: dict = field(default_factory=dict)  # delta path -> (Element proto, fragment id)
    widgets: dict = field(default_factory=dict)  # widget id -> WidgetState we have set
    ws: object = None
    errors: list = field(default_factory=list)
    seq: int = 0  # code commits sent, as the browser counts them
    received_bytes: int = 0  # every message the server has sent this session

    async def connect(self) -> float:
        """Opens the session and runs the page once; returns the seconds that took."""
        host = self.url.split("://", 1)[1]
        self.ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                                           max_size=2**26, open_timeout=30)
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def rerun(self, fragment_id: str = "", timeout: float = 60) -> float:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query_string
        msg.rerun_script.widget_states.widgets.extend(self.widgets.values())
        if fragment_id:
            msg.rerun_script.fragment_id = fragment_id
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._read_until_finished(), timeout)
        return time.perf_counter() - start

    async def _read_until_finished(self) -> None:
        while True:
            fwd, message = ForwardMsg(), await self.ws.recv()
            self.received_bytes += len(message)
            fwd.ParseFromString(message)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                path = tuple(fwd.metadata.delta_path)
                if fwd.delta.WhichOneof("type") == "new_element":
                    self.elements[path] = (fwd.delta.new_element, fwd.delta.fragment_id)
                    if fwd.delta.new_element.WhichOneof("type") == "exception":
                        self.errors.append(fwd.delta.new_element.exception.message)
            elif kind == "script_finished":
                return

    def live(self) -> tuple[dict, str, str]:
        """The explorer's browser component: the data the server sent it, its widget id, its fragment."""
        for element, fragment in self.elements.values():
            if element.WhichOneof("type") == "bidi_component":
                data = json.loads(element.bidi_component.json)["live"]  # beside it: the URL of the component's code
                if data.get("mode") == "explorer":
                    return data, element.bidi_component.id, fragment
        raise KeyError("no explorer component on the page")

    def kl(self) -> str:
        """The KL the page's settled code gives, as the browser shows it: the seed's formula, 3 decimals."""
        data = self.live()[0]
        mu, sigma = np.array(data["mu"]), np.array(data["sigma"])
        return f"{0.5 * np.sum(mu**2 + sigma**2 - 2 * np.log(sigma) - 1):.3f}"

    async def set_code(self, **values: float) -> float:
        """Commits a settled code as the browser's component does once a move ends (e.g. mu_0=1.5);
        returns the seconds until the page settled."""
        data, widget_id, fragment = self.live()
        # what a person moved, by dimension: the values already moved, and these
        code = {name: {str(d): v for d, (v, v0) in enumerate(zip(data[name], data[f"{name}0"])) if v != v0}
                for name in ("mu", "sigma")}
        for key, value in values.items():
            name, d = key.split("_")
            code[name][d] = value
        self.seq += 1
        self.widgets[widget_id] = WidgetState(id=widget_id, json_value=json.dumps({"code": {**code, "seq": self.seq}}))
        return await self.rerun(fragment)

    def find(self, kind: str, label: str):
        """The first element of a kind (e.g. "slider", "metric") whose label starts with label."""
        for element, fragment in self.elements.values():
            if element.WhichOneof("type") == kind and getattr(element, kind).label.startswith(label):
                return getattr(element, kind), fragment
        raise KeyError(f"no {kind} labelled {label!r}")

    def metric(self, label: str) -> str:
        return self.find("metric", label)[0].body

    async def set_slider(self, label: str, value: float) -> float:
        """Moves a Streamlit slider as a browser does (benchmarks' floor page); returns the seconds until settled."""
        slider, fragment = self.find("slider", label)
        state = WidgetState(id=slider.id)
        state.double_array_value.data.append(value)
        self.widgets[slider.id] = state
        return await self.rerun(fragment)
