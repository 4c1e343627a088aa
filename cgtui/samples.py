"""The bundled samples: ``samples/`` in a source checkout, ``cgtui/samples`` when installed."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def samples_dir() -> Path:
    installed = _PACKAGE / "samples"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "samples"


def sample_path(name: str) -> Path:
    return samples_dir() / name


def default_sample() -> Path:
    return sample_path("squared_error.yaml")
