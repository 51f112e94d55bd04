"""Names: one message name in several packages (C06), reserved words (C08)."""

from __future__ import annotations

import json

import pytest

from generator.support import (
    compile_python,
    field_numbers,
    generate,
    install,
    message_block,
    run_python,
)
from modelwire import REGISTRY

RESULTS = {
    "alpha.v1.Result": ("alpha/v1/alpha_types.proto", ["label", "items", "counts"]),
    "beta.v1.Result": ("beta/v1/beta_types.proto", ["text", "score", "previous"]),
    "beta.legacy.v1.Result": ("beta/legacy/v1/beta_legacy_types.proto", ["grade"]),
}


@pytest.fixture
def alpha_and_beta(tmp_path):
    """alpha and beta, both with a Result, generated into one output folder."""
    app, out = tmp_path / "app", tmp_path / "out"
    for library in ("alpha", "beta"):
        install(library, app)
        generate(app, library, out)
    return app, out


def test_same_message_name_in_distinct_files_and_packages(alpha_and_beta):
    """Each Result lives in its own file under its own package, with its own fields."""
    _, out = alpha_and_beta
    for full_name, (path, fields) in RESULTS.items():
        text = (out / path).read_text()
        assert f"\npackage {full_name.removesuffix('.Result')};\n" in text
        assert list(field_numbers(text, "Result"))[: len(fields)] == fields
    assert (
        ".beta.legacy.v1.Result previous"
        in (out / RESULTS["beta.v1.Result"][0]).read_text()
    )


def test_both_results_import_in_one_python_process(alpha_and_beta, tmp_path):
    """protoc stubs of both libraries share one process without pool conflicts."""
    _, out = alpha_and_beta
    py_out = compile_python(out, tmp_path / "py")
    code = (
        "import json\n"
        "from alpha.v1 import alpha_service_pb2, alpha_types_pb2\n"
        "from beta.legacy.v1 import beta_legacy_types_pb2\n"
        "from beta.v1 import beta_service_pb2, beta_types_pb2\n"
        "found = {}\n"
        "for m in (alpha_types_pb2, beta_types_pb2, beta_legacy_types_pb2):\n"
        "    d = m.Result.DESCRIPTOR\n"
        "    found[d.full_name] = [f.name for f in d.fields]\n"
        "print(json.dumps(found))\n"
    )
    found = json.loads(run_python(code, py_out))
    assert sorted(found) == sorted(RESULTS)
    for full_name, (_, fields) in RESULTS.items():
        assert found[full_name][: len(fields)] == fields


def test_both_results_in_one_runtime_registry(alpha_and_beta, in_process):
    """The runtime's own pool holds all three Result messages side by side."""
    app, _ = alpha_and_beta
    in_process(app, "alpha", "beta")
    classes = REGISTRY.build().message_classes
    for full_name, (_, fields) in RESULTS.items():
        names = [f.name for f in classes[full_name].DESCRIPTOR.fields]
        assert names[: len(fields)] == fields


@pytest.fixture(scope="module")
def keywords(tmp_path_factory):
    """The kw library generated and compiled once: (out, py_out)."""
    root = tmp_path_factory.mktemp("kw")
    install("kw", root / "app")
    generate(root / "app", "kw", root / "out")
    return root / "out", compile_python(root / "out", root / "py")


@pytest.mark.parametrize(
    ("path", "message", "line"),
    [
        ("kw/v1/kw_types.proto", "Edge", "  string from = 1;"),
        ("kw/v1/kw_types.proto", "Edge", "  Relation type = 3;"),
        ("kw/v1/kw_types.proto", "Edge", "  int64 class = 4;"),
        ("kw/v1/kw_types.proto", "Edge", "  bool import = 5;"),
        ("kw/v1/kw_types.proto", "Edge", "  optional string None = 6;"),
        ("kw/v1/kw_service.proto", "ConnectRequest", "  string from = 1;"),
        ("kw/v1/kw_service.proto", "ConnectRequest", "  optional int64 class = 3;"),
    ],
)
def test_reserved_words_keep_their_wire_names(keywords, path, message, line):
    """from_, type_, class_, import_, None_ appear without the underscore."""
    out, _ = keywords
    assert f"{line}\n" in message_block((out / path).read_text(), message)


def test_enum_member_with_escape_is_named_plainly(keywords):
    """Enum member None_ becomes RELATION_NONE."""
    out, _ = keywords
    assert "  RELATION_NONE = 1;\n" in (out / "kw/v1/kw_types.proto").read_text()


def test_reserved_word_fields_work_in_python(keywords):
    """The protoc module imports; such fields round-trip through getattr/setattr."""
    _, py_out = keywords
    code = (
        "import json\n"
        "from kw.v1 import kw_service_pb2, kw_types_pb2 as t\n"
        "edge = t.Edge(to='b')\n"
        "values = {'from': 'a', 'type': t.RELATION_NONE, 'class': 3,\n"
        "          'import': True, 'None': 'n'}\n"
        "for name, value in values.items():\n"
        "    setattr(edge, name, value)\n"
        "back = t.Edge.FromString(edge.SerializeToString())\n"
        "print(json.dumps({n: getattr(back, n) for n in [*values, 'to']}))\n"
    )
    assert json.loads(run_python(code, py_out)) == {
        "from": "a",
        "type": 1,
        "class": 3,
        "import": True,
        "None": "n",
        "to": "b",
    }
