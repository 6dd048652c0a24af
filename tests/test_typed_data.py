"""Each mode's data is declared once on each side, one name per field: a TypedDict in live/component.py and a
JSDoc @typedef of the same name in live/js/. The two must agree, field for field and type for type, and what
the page sends must be exactly what they declare."""

import json
import re
import types
import typing
from typing import Literal

import pytest
from pagetest import mounted, start

from live import component as live
from routes import files

MODES = {"explorer": live.ExplorerData, "samples": live.SamplesData, "map": live.MapData, "gallery": live.GalleryData,
         "anchor": live.AnchorData, "draw": live.DrawData, "board": live.BoardData}


def js_typedefs() -> dict[str, dict[str, str]]:
    """@typedef {Object} Name and its @property lines, from every module of the browser code: {name: {field: type}}."""
    found = {}
    for path in sorted(files.CODE_DIR.glob("*.js")):
        for block in re.findall(r"/\*\*(.*?)\*/", path.read_text(), flags=re.S):
            name = None
            for line in block.splitlines():
                if m := re.search(r"@typedef \{Object\} (\w+)", line):
                    name = m.group(1)
                    assert name not in found or found[name] == {}, f"{name} is declared twice"
                    found[name] = {}
                elif (m := re.search(r"@property \{([^}]+)\} (\w+)", line)) and name:
                    found[name][m.group(2)] = m.group(1).replace(" ", "")
    return found


def js_type(hint) -> str:
    """The JSDoc type a Python annotation of the page's data reads as in the browser (JSON in between)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if typing.is_typeddict(hint):
        return hint.__name__
    if origin is typing.Literal:
        return "|".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return "|".join("null" if a is type(None) else js_type(a) for a in args)
    if origin is list:
        (item,) = args
        return js_type(item) + "[]"
    if hint is dict or origin is dict:
        return "Object"
    return {str: "string", bool: "boolean", int: "number", float: "number"}[hint]


def test_python_annotations_read_as_their_jsdoc_types():
    assert [js_type(h) for h in (list[float], list[int], list[list[float]], str, bool, int, float, dict,
                                 dict[str, int], str | None, live.ModelRef | None, live.Steps, Literal["x"])] == [
        "number[]", "number[]", "number[][]", "string", "boolean", "number", "number", "Object", "Object",
        "string|null", "ModelRef|null", "Steps", '"x"']


def typed_dicts() -> dict[str, type]:
    """Every TypedDict that a mode's data uses, by name, the nested ones included."""
    out, todo = {}, list(MODES.values())
    while todo:
        t = todo.pop()
        out[t.__name__] = t
        for hint in typing.get_type_hints(t).values():
            for arg in (hint, *typing.get_args(hint)):
                if typing.is_typeddict(arg) and arg.__name__ not in out:
                    todo.append(arg)
    return out


def test_every_python_typeddict_has_its_jsdoc_typedef_with_the_same_fields_and_types():
    js = js_typedefs()
    assert {"DrawData", "ModelRef", "Ranges"} <= set(typed_dicts())  # every mode's, the nested ones too
    for name, t in typed_dicts().items():
        assert name in js, f"no @typedef {name} in live/js/"
        assert js[name] == {field: js_type(hint) for field, hint in typing.get_type_hints(t).items()}, name


@pytest.mark.parametrize("panel, mode", [(None, "explorer"), (None, "samples"), (None, "draw"), ("Latent map", "map"),
                                         ("Class board", "board")])
def test_what_the_page_sends_is_what_is_declared(panel, mode):
    at = start("digits, D=8")
    if panel:
        at.session_state["panel"] = panel
        at.run()
    data = mounted(at, mode)
    assert set(data) == {"code", "live"} and data["code"] == files.code_url()
    declared = MODES[mode]
    assert set(data["live"]) == set(typing.get_type_hints(declared))
    for field, hint in typing.get_type_hints(declared).items():  # nested objects too, field by field
        if typing.is_typeddict(hint) and data["live"][field] is not None:
            assert set(data["live"][field]) == set(typing.get_type_hints(hint)), field
