"""Credentialing auditor: accuracy on the labeled sets and speed on a long form."""

from __future__ import annotations

import csv
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "respite" / "credentialing"
SETS = {
    "sample": ROOT / "tests" / "data" / "credentialing-sample.tsv",
    "labeled": ROOT / "data" / "labeled_questions.tsv",
}


def run() -> dict:
    import django

    django.setup()
    from respite.credentialing import auditor

    lines = [
        "| Set | Questions | Accuracy | Intrusive recall | Intrusive labeled acceptable |",
        "|---|---|---|---|---|",
    ]
    result: dict = {"sets": {}}
    questions: list[str] = []
    for name, path in SETS.items():
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        questions += [r["question"] for r in rows]
        pred = [auditor.classify(r["question"]).label for r in rows]
        gold = [r["label"] for r in rows]
        intrusive = [p for p, g in zip(pred, gold, strict=True) if g == "intrusive"]
        m = {
            "n": len(rows),
            "accuracy": sum(p == g for p, g in zip(pred, gold, strict=True)) / len(rows),
            "intrusive_recall": sum(p == "intrusive" for p in intrusive) / len(intrusive),
            "intrusive_as_acceptable": sum(p == "acceptable" for p in intrusive),
        }
        result["sets"][name] = m
        lines.append(
            f"| {name} | {m['n']} | {m['accuracy']:.3f} | {m['intrusive_recall']:.3f} | {m['intrusive_as_acceptable']} |"
        )
    # A long form: every question 30 times, numbered, with yes/no boxes and wrapped lines.
    form = "\n".join(
        f"{i}. {q[:60]}\n   {q[60:]}   ☐ Yes ☐ No" for i, q in enumerate(questions * 30, start=1)
    )
    started = time.perf_counter()
    findings = auditor.audit_text(form)
    seconds = time.perf_counter() - started
    result["long_form"] = {"questions": len(findings), "seconds": round(seconds, 3)}
    lines += [
        "",
        f"Long form: {len(findings)} questions segmented and classified in {seconds:.2f} s "
        f"({len(findings) / seconds:,.0f} questions/s).",
    ]
    result["markdown"] = lines
    return result
