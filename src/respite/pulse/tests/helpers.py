"""Shared checks for the disclosure tests: an independent auditor of a set of released cells."""

from __future__ import annotations

import numpy as np

from respite.core.disclosure import CellKey, Structure


def members(struct: Structure, key: CellKey, counts: dict) -> frozenset:
    return frozenset(a for a, n in counts.items() if n > 0 and struct.covers(key, a))


def audit(struct: Structure, released: list[CellKey], counts: dict, k: int) -> list[str]:
    """Problems an attacker could exploit, found without using the planner's own reasoning:

    * a released cell from 1..k-1 respondents;
    * two released cells whose respondent sets differ (either way) by 1..k-1 respondents;
    * a group of 1..k-1 respondents whose total is a linear combination of released totals
      (single atoms, and every candidate cell, tested by rank).
    """
    problems = []
    sets = {c: members(struct, c, counts) for c in released}
    size = {c: sum(counts[a] for a in s) for c, s in sets.items()}
    for c, n in size.items():
        if 0 < n < k:
            problems.append(f"released {c} has n={n}")
    cells = list(sets)
    for i, a in enumerate(cells):
        for b in cells[i + 1 :]:
            for diff in (sets[a] - sets[b], sets[b] - sets[a]):
                d = sum(counts[x] for x in diff)
                if 0 < d < k:
                    problems.append(f"{a} vs {b} differ by {d}")
    atoms = sorted({a for a, n in counts.items() if n > 0})
    if not atoms or not cells:
        return problems
    col = {a: j for j, a in enumerate(atoms)}
    m = np.zeros((len(cells), len(atoms)))
    for i, c in enumerate(cells):
        for a in sets[c]:
            m[i, col[a]] = 1
    rank = np.linalg.matrix_rank(m)
    targets = [frozenset([a]) for a in atoms]
    for r in struct.rounds:
        targets += [members(struct, c, counts) for c in struct.single_cells(r)]
    for target in targets:
        n = sum(counts[a] for a in target)
        if not 0 < n < k:
            continue
        v = np.zeros(len(atoms))
        for a in target:
            v[col[a]] = 1
        if np.linalg.matrix_rank(np.vstack([m, v])) == rank:
            problems.append(f"group of {n} derivable: {sorted(target)[:3]}")
    return problems


def pdf_text(data: bytes) -> str:
    """The text of a PDF as poppler's pdftotext reads it (layout kept)."""
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=120
    )
    return out.stdout.decode()


def pdf_pages(data: bytes, tmp_path, dpi: int = 40) -> list:
    """The pages of a PDF as images via poppler's pdftoppm, as a person would see them printed."""
    import subprocess

    from PIL import Image

    src = tmp_path / "doc.pdf"
    src.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(src), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    return [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob("page*.png"))]


def ink(img, box: tuple[int, int, int, int] | None = None) -> float:
    """Share of non-white pixels in an image (or a region of it)."""
    region = (img.crop(box) if box else img).convert("L")
    hist = region.histogram()
    return 1 - sum(hist[235:]) / max(1, sum(hist))
