"""Controllers talk to widgets through the widgets' own methods and signals, never through their
children or by setting attributes on them (docs/architecture.md): `pane.show_call(call)`, not
`pane.form.service_url.setFocus()`; `view.call_record(uuid)`, not `view.model.records[row]`.

Checked on the source of console/app/: wherever the code knows a name or `self.` attribute holds
a console.ui class (a parameter or attribute annotated with it, or built from it), reaching
through one of that class's children (a public attribute it builds from a class: a widget, a
model, an action) fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "console" / "ui"
APP = ROOT / "console" / "app"


def _builds_an_object(value: ast.expr) -> bool:
    """`QLabel()`, `model or CallsTableModel(self)`: a call of a capitalised name somewhere."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name[:1].isupper():
                return True
    return False


def _self_assignments(cls: ast.ClassDef) -> Iterator[tuple[str, ast.expr | None, ast.expr | None]]:
    """(attribute, value, annotation) for every `self.NAME = …` in the class's methods."""
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value, None) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value, node.annotation)]
        else:
            continue
        for target, value, annotation in pairs:
            elements = target.elts if isinstance(target, ast.Tuple) else [target]
            for element in elements:
                if (
                    isinstance(element, ast.Attribute)
                    and isinstance(element.value, ast.Name)
                    and element.value.id == "self"
                ):
                    single = value if not isinstance(target, ast.Tuple) else None
                    yield element.attr, single, annotation


def ui_children(ui: Path = UI) -> dict[str, set[str]]:
    """ui class -> the public attributes it builds itself (its child widgets, models, actions)."""
    classes: dict[str, ast.ClassDef] = {}
    for path in sorted(ui.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes.update({n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)})
    children: dict[str, set[str]] = {}
    for name, cls in classes.items():
        children[name] = {
            attr
            for attr, value, _ in _self_assignments(cls)
            if not attr.startswith("_") and value is not None and _builds_an_object(value)
        }
    for name, cls in classes.items():  # children of ui base classes too
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in children:
                children[name] |= children[base.id]
    return children


def _ui_type(annotation: ast.expr | None, known: dict[str, set[str]]) -> str | None:
    """The ui class an annotation names (`CallPane`, `"CallPane"`, `CallPane | None`)."""
    if annotation is None:
        return None
    text = (
        annotation.value
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str)
        else ast.unparse(annotation)
    )
    for part in text.replace("|", " ").replace("[", " ").replace("]", " ").split():
        if part in known:
            return part
    return None


def _built_type(value: ast.expr | None, known: dict[str, set[str]]) -> str | None:
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id if value.func.id in known else None
    return None


def _reaches(node: ast.Attribute, types: dict[str, str], attrs: dict[str, str]) -> str | None:
    """The ui class `node.value` holds, when the code says so; else None."""
    base = node.value
    if isinstance(base, ast.Name):
        return types.get(base.id)
    if (
        isinstance(base, ast.Attribute)
        and isinstance(base.value, ast.Name)
        and base.value.id == "self"
    ):
        return attrs.get(base.attr)
    return None


def _function_types(
    func: ast.FunctionDef | ast.AsyncFunctionDef, known: dict[str, set[str]]
) -> dict[str, str]:
    types: dict[str, str] = {}
    every = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    for arg in every:
        found = _ui_type(arg.annotation, known)
        if found:
            types[arg.arg] = found
    for node in ast.walk(func):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found = _ui_type(node.annotation, known) or _built_type(node.value, known)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                pairs = zip(target.elts, value.elts, strict=False)  # a, b = A(), B()
            else:
                pairs = zip([target], [value], strict=True)
            for name, built in pairs:
                kind = _built_type(built, known)
                if isinstance(name, ast.Name) and kind:
                    types[name.id] = kind
            continue
        else:
            continue
        if found and isinstance(node.target, ast.Name):
            types[node.target.id] = found
    return types


def reaches_into_widgets(path: Path, known: dict[str, set[str]]) -> list[str]:
    """`file:line: expression` for each reach through a ui object's child in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)] + [tree]:
        attrs: dict[str, str] = {}
        if isinstance(cls, ast.ClassDef):
            init = next(
                (f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"),
                None,
            )
            params = _function_types(init, known) if init is not None else {}
            for attr, value, annotation in _self_assignments(cls):
                kind = _ui_type(annotation, known) or _built_type(value, known)
                if kind is None and isinstance(value, ast.Name):
                    kind = params.get(value.id)
                if kind:
                    attrs[attr] = kind
        body = cls.body
        functions = [
            f for f in body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        ]  # methods (for a class) or module-level functions (for the module)
        for func in functions:
            types = _function_types(func, known)
            for node in ast.walk(func):
                if not isinstance(node, ast.Attribute):
                    continue
                kind = _reaches(node, types, attrs)
                line = f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
                if kind and node.attr in known[kind]:
                    found.append(f"{line} ({kind}.{node.attr} is a child)")
                elif kind and isinstance(node.ctx, ast.Store):
                    found.append(f"{line} (set on a {kind} from outside: call a method)")
    return sorted(set(found))


def test_app_never_reaches_into_a_widget() -> None:
    known = ui_children()
    found = [hit for path in sorted(APP.rglob("*.py")) for hit in reaches_into_widgets(path, known)]
    assert found == []


def test_the_check_sees_children_through_parameters_attributes_and_locals(tmp_path: Path) -> None:
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "pane.py").write_text(
        "class Pane(QWidget):\n"
        "    def __init__(self, form=None):\n"
        "        self.form = form or Form()\n"
        "        self.title = QLabel()\n"
        "        self.call = None\n"
        "    def show_call(self, call): ...\n"
    )
    known = ui_children(ui)
    assert known["Pane"] == {"form", "title"}
    sample = ROOT / "tests" / "_seams_sample.py"
    sample.write_text(
        "class Controller:\n"
        "    def __init__(self, pane: Pane, other: object) -> None:\n"
        "        self.pane = pane\n"
        "        self.other = other\n"
        "    def go(self, view: 'Pane | None') -> None:\n"
        "        self.pane.show_call(None)\n"
        "        self.pane.call\n"
        "        self.pane.form.service_url.setFocus()\n"
        "        view.title.setText('x')\n"
        "        built, other = Pane(), None\n"
        "        built.form\n"
        "        self.other.form\n"
        "        view.on_close = print\n"
    )
    try:
        hits = reaches_into_widgets(sample, known)
    finally:
        sample.unlink()
    assert sorted(hit.split(": ", 1)[1] for hit in hits) == [
        "built.form (Pane.form is a child)",
        "self.pane.form (Pane.form is a child)",
        "view.on_close (set on a Pane from outside: call a method)",
        "view.title (Pane.title is a child)",
    ]


def attributes_set_on_collaborators(path: Path, root: Path = ROOT) -> list[str]:
    """`self.streams.on_recorded = …`, `self.streams.activity = None`: wiring by setting another
    object's attributes from outside, where a signal (out) or a method (in) belongs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Attribute)
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "self"
    ]


def test_app_wires_collaborators_with_signals_and_methods() -> None:
    found = [
        hit for path in sorted(APP.rglob("*.py")) for hit in attributes_set_on_collaborators(path)
    ]
    assert found == []


def test_the_wiring_check_sees_an_attribute_set_from_outside(tmp_path: Path) -> None:
    sample = tmp_path / "wiring.py"
    sample.write_text(
        "class A:\n"
        "    def __init__(self, b):\n"
        "        self.b = b\n"
        "        self.b.on_done = print\n"
        "        self.b.done.connect(print)\n"
    )
    hits = attributes_set_on_collaborators(sample, tmp_path)
    assert [hit.split(": ", 1)[1] for hit in hits] == ["self.b.on_done"]
