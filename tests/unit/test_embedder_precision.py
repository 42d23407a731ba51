"""``precision: auto`` resolves by the CPU's native bf16 support, and outputs name the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.platform.embedder import cpu_flags, model_name, resolve_precision
from services.platform.settings import ModelSettings

SAPPHIRE_RAPIDS = frozenset({"sse4_2", "avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
ZEN4 = frozenset({"sse4_2", "avx2", "avx512f", "avx512_bf16"})
SKYLAKE = frozenset({"sse4_2", "avx2", "avx512f", "avx512bw"})


@pytest.mark.parametrize(
    ("backend", "flags", "expected"),
    [
        ("torch", SAPPHIRE_RAPIDS, "bf16"),
        ("torch", ZEN4, "bf16"),
        ("torch", SKYLAKE, "fp32"),  # bf16 emulated: slower than fp32
        ("torch", frozenset(), "fp32"),  # flags unknown (not Linux)
        ("openvino", ZEN4, "bf16"),
        ("onnx", ZEN4, "fp32"),  # no bf16 path in ONNX Runtime; int8 loses quality
    ],
)
def test_auto_is_bf16_only_where_the_cpu_has_native_bf16(
    backend: str, flags: frozenset[str], expected: str
) -> None:
    settings = ModelSettings.model_validate({"backend": backend, "precision": "auto"})
    assert resolve_precision(settings, lambda: flags) == expected


def test_an_explicit_precision_is_kept_whatever_the_cpu() -> None:
    assert resolve_precision(ModelSettings(precision="fp32"), lambda: ZEN4) == "fp32"
    assert resolve_precision(ModelSettings(precision="bf16"), lambda: SKYLAKE) == "bf16"


def test_auto_is_the_default_and_outputs_name_what_it_resolved_to() -> None:
    assert ModelSettings().precision == "auto"
    expected = resolve_precision(ModelSettings())
    assert model_name(ModelSettings()).endswith(f"@{expected}")
    assert model_name(ModelSettings(precision="fp32")).endswith("@fp32")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx512_bf16 avx512f\nbugs\t\t: none\n")
    assert cpu_flags(cpuinfo) == {"fpu", "sse", "avx512_bf16", "avx512f"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


@pytest.mark.model
def test_bf16_rows_are_unit_length_and_agree_with_fp32() -> None:
    import numpy as np

    from services.platform.embedder import SentenceTransformerEmbedder

    texts = [
        "Trained and deployed PyTorch models in production.",
        "Sales manager. Negotiated contracts. " * 40,
    ]
    fp32 = SentenceTransformerEmbedder(ModelSettings(precision="fp32")).embed(texts)
    bf16 = SentenceTransformerEmbedder(ModelSettings(precision="bf16"))
    assert bf16.name.endswith("@bf16")
    vectors = bf16.embed(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float((vectors * fp32).sum(axis=1).min()) >= 0.99
