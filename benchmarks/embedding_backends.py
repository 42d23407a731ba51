"""Embedding backends head to head: speed, agreement with torch fp32, and ranking quality.

    python -m benchmarks.embedding_backends [--backends torch-fp32,torch-bf16,onnx-fp32,onnx-int8,
        openvino-fp32,openvino-bf16] [--texts 64] [--repeats 3] [--sets samples] [--out PATH]

Texts: the model windows (``Embedder.chunk``) of the bundled résumés, cycled to ``--texts``.
Speed: one ``embed`` call over them per backend, backends interleaved, ``--repeats`` rounds; the
median is reported (the box is shared). Agreement: cosine of each text's vector with torch fp32's.
Quality: nDCG@10 of the whole rolefit ranking (``benchmarks.quality.rank_rolefit``) per backend on
the labelled sets (``--sets samples,real``; ``real`` needs ../shared/data). A backend whose
package is not installed (extras ``.[onnx]``, ``.[openvino]``) is listed as skipped.
Decision rule: the fastest backend whose nDCG@10 is within 0.005 of torch fp32 on every set AND
whose vectors agree with torch fp32 (min cosine ≥ 0.99): the labelled sets are small (11 jobs; 16
postings), so a backend can drift a lot (int8: min cosine ~0.91) before nDCG@10 notices.
The service default (``precision: auto``) takes the fastest backend by that rule that needs no
extra: torch bf16 where the CPU has native bf16, else torch fp32 (``choice_without_extras``; the
report's ``auto`` names what the default resolves to on the measuring machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import quality
from benchmarks.perf import RESULTS, command, machine, write_report
from services.platform.embedder import SentenceTransformerEmbedder, resolve_precision
from services.platform.settings import ModelSettings, Settings
from services.samples import load_candidates

OUT = RESULTS / "embedding_backends.json"
ALL = "torch-fp32,torch-bf16,onnx-fp32,onnx-int8,openvino-fp32,openvino-bf16"
MAX_NDCG_DROP = 0.005
MIN_COSINE = 0.99


def model_settings(name: str, export_dir: Path) -> ModelSettings:
    backend, precision = name.split("-")
    return ModelSettings.model_validate(
        {"backend": backend, "precision": precision, "export_dir": export_dir}
    )


def load(names: list[str], export_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    loaded, skipped = {}, {}
    for name in names:
        started = time.perf_counter()
        try:
            loaded[name] = SentenceTransformerEmbedder(model_settings(name, export_dir))
        except ImportError as exc:
            skipped[name] = f"not installed: {exc.name or exc}"
            continue
        print(f"loaded {name} in {time.perf_counter() - started:.1f} s", flush=True)
    return loaded, skipped


def corpus(embedder: SentenceTransformerEmbedder, n: int) -> list[str]:
    windows = [w for c in load_candidates() for w in embedder.chunk(quality.candidate_text(c))]
    return [windows[i % len(windows)] for i in range(n)]


def ndcg(embedder: SentenceTransformerEmbedder, sets: list[str], settings: Settings) -> dict[str, float]:
    out = {}
    for name in sets:
        if name == "real" and not quality.DATA.is_dir():
            continue
        ds = quality.sample_set() if name == "samples" else quality.real_set(quality.DATA, 4, 2020)
        ranking, _ = quality.rank_rolefit(ds, quality.CachedEmbedder(embedder), settings)
        out[name] = quality.evaluate(ds, ranking)["ndcg@10"]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--backends", default=ALL)
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sets", default="samples", help="labelled sets for nDCG@10: samples, real")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as export_dir:
        embedders, skipped = load(args.backends.split(","), Path(export_dir))
        reference = embedders.get("torch-fp32") or SentenceTransformerEmbedder(
            ModelSettings(precision="fp32")
        )
        texts = corpus(reference, args.texts)
        ref = reference.embed(texts)
        rates: dict[str, list[float]] = {name: [] for name in embedders}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(args.repeats):
            for name, embedder in embedders.items():
                started = time.perf_counter()
                vectors[name] = embedder.embed(texts)
                rates[name].append(len(texts) / (time.perf_counter() - started))
        rows: list[dict[str, Any]] = []
        sets = [s.strip() for s in args.sets.split(",") if s.strip()]
        for name, embedder in embedders.items():
            cosine = (vectors[name] * ref).sum(axis=1)
            rows.append({
                "backend": name, "texts_per_s": round(statistics.median(rates[name]), 2),
                "cosine_min": round(float(cosine.min()), 5), "cosine_mean": round(float(cosine.mean()), 5),
                "ndcg@10": ndcg(embedder, sets, Settings()),
            })  # fmt: skip
    base = next((r for r in rows if r["backend"] == "torch-fp32"), rows[0])
    for row in rows:
        row["speed_vs_torch_fp32"] = round(row["texts_per_s"] / base["texts_per_s"], 2)
        drops = [base["ndcg@10"][s] - row["ndcg@10"][s] for s in row["ndcg@10"]]
        row["quality_ok"] = all(d <= MAX_NDCG_DROP for d in drops) and row["cosine_min"] >= MIN_COSINE
    best = max((r for r in rows if r["quality_ok"]), key=lambda r: r["texts_per_s"])
    torch_ok = [r for r in rows if r["quality_ok"] and r["backend"].startswith("torch-")]
    no_extras = max(torch_ok, key=lambda r: r["texts_per_s"])["backend"] if torch_ok else None
    auto = f"torch-{resolve_precision(ModelSettings())}"
    print(f"{len(texts)} windows, median of {args.repeats} rounds")
    print(f"{'backend':<16}{'texts/s':>9}{'×fp32':>7}{'cos min':>9}{'cos mean':>9}  nDCG@10")
    for r in rows:
        print(f"{r['backend']:<16}{r['texts_per_s']:>9.2f}{r['speed_vs_torch_fp32']:>7.2f}"
              f"{r['cosine_min']:>9.4f}{r['cosine_mean']:>9.4f}  {r['ndcg@10']}")  # fmt: skip
    for name, why in skipped.items():
        print(f"{name:<16}skipped: {why}")
    print(f"fastest within {MAX_NDCG_DROP} nDCG@10 and cosine {MIN_COSINE} of torch fp32: {best['backend']}")
    print(f"without extras: {no_extras}; the default (precision auto) here: {auto}")
    write_report(args.out, {"command": command("embedding_backends", argv), "machine": machine(load_before),
                            "params": vars(args) | {"out": str(args.out)}, "results": rows,
                            "skipped": skipped, "choice": best["backend"],
                            "choice_without_extras": no_extras, "auto": auto})  # fmt: skip


if __name__ == "__main__":
    main()
