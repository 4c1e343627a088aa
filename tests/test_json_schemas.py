"""The JSON that commands print is described by the schema files in ``schemas/``: every
sample's real output validates, and the schemas themselves are valid JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES
from jsonschema import Draft202012Validator

from cgtui.cli import main

SCHEMAS = ROOT / "schemas"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.yaml"))


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def output_of(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code in (0, 3), argv
    return json.loads(out)


def assert_valid(name: str, data: Any) -> None:
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_every_schema_is_valid_json_schema() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert {"grad.schema.json", "paths.schema.json", "steps.schema.json", "check.schema.json"} <= set(names)
    for name in names:
        validator(name.removesuffix(".schema.json"))


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_grad_json(sample: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(SAMPLES / sample)
    if main(["grad", path]) != 0:  # a sample whose leaves need data rows has no single gradient
        capsys.readouterr()
        pytest.skip(f"{sample} needs values from its data rows")
    capsys.readouterr()
    short = output_of(capsys, "grad", path, "--json")
    assert "nodes" not in short
    assert_valid("grad", short)
    full = output_of(capsys, "grad", path, "--json", "--all")
    assert len(full["nodes"]) >= len(full["grad"])
    assert_valid("grad", full)


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_steps_json(sample: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert_valid("steps", output_of(capsys, "steps", str(SAMPLES / sample), "--format", "json"))


@pytest.mark.parametrize(("sample", "node"), [("branching.yaml", "x"), ("diamond_ladder.yaml", "a0")])
def test_paths_json(sample: str, node: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = output_of(capsys, "paths", str(SAMPLES / sample), "--from", node, "--json")
    assert_valid("paths", data)


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    for sample in ("squared_error.yaml", "branching.yaml", "micrograd_more_ops.yaml", "spiral_mlp.yaml"):
        assert_valid("check", output_of(capsys, "check", str(SAMPLES / sample), "--json"))


def test_a_wrong_document_is_caught() -> None:
    """The schemas say something: a grad document with a string for a gradient fails."""
    bad = {"output": "L", "value": 1.0, "grad": {"w": "0.4"}}
    assert list(validator("grad").iter_errors(bad))
    assert list(validator("grad").iter_errors({"output": "L", "value": 1.0, "grad": {}, "extra": 1}))
