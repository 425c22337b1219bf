"""Small-cell suppression for published tables, with secondary suppression.

A table is a list of published figures (`values`) and the additive relations between them
(`Equation`: the parts sum to the whole, e.g. a row's cells to its row total). Primary
suppression hides every figure below k. Secondary suppression then hides more figures until
no hidden figure can be recomputed from the published ones: first so that no relation has
exactly one hidden member, then — checked with linear algebra over all relations together —
until no hidden figure is determined by any combination of relations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

MIN_K = 3
DEFAULT_K = 5
NULL_TOL = 1e-7  # below this distance from the relations' row space a figure counts as known


_BLAS = ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Suppression solves many small systems: BLAS threads only cost there, and on a busy
    machine they spin against the server's own threads (ten times slower, measured)."""
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


def effective_k(k: int | None) -> int:
    """The Bündnis' k, never below MIN_K."""
    return max(MIN_K, DEFAULT_K if k is None else int(k))


@dataclass(frozen=True)
class Equation:
    whole: int  # index of the total
    parts: tuple[int, ...]  # indices of the figures that sum to it

    @property
    def members(self) -> tuple[int, ...]:
        return (self.whole, *self.parts)


@dataclass(frozen=True)
class Suppression:
    primary: frozenset[int]  # below k: shown as "<k"
    secondary: frozenset[int]  # hidden to protect the primary ones

    @property
    def hidden(self) -> frozenset[int]:
        return self.primary | self.secondary


def determined(equations: Iterable[Equation], hidden: Iterable[int]) -> frozenset[int]:
    """Hidden figures whose value follows from the published ones through the relations.

    x_j is determined iff the unit vector e_j lies in the row space of the relations
    restricted to the hidden figures (the published ones move to the right-hand side).
    """
    unknowns = sorted(set(hidden))
    if not unknowns:
        return frozenset()
    col = {idx: c for c, idx in enumerate(unknowns)}
    rows = []
    for eq in equations:
        row = np.zeros(len(unknowns))
        if eq.whole in col:
            row[col[eq.whole]] -= 1
        for p in eq.parts:
            if p in col:
                row[col[p]] += 1
        if row.any():
            rows.append(row)
    if not rows:
        return frozenset()
    a = np.array(rows)
    # e_j lies in the row space iff x_j is zero in every solution of a @ x = 0: one SVD gives
    # an orthonormal basis of those solutions; a column of it that is all zero means the
    # figure is pinned down (its norm is e_j's distance from the row space).
    _, sv, vt = np.linalg.svd(a)
    tol = sv.max(initial=0.0) * max(a.shape) * np.finfo(float).eps
    null = vt[int((sv > tol).sum()) :]
    spread = np.linalg.norm(null, axis=0) if len(null) else np.zeros(len(unknowns))
    return frozenset(idx for idx, c in col.items() if spread[c] < NULL_TOL)


def suppress(
    values: Sequence[int],
    equations: Sequence[Equation],
    k: int,
    *,
    prefer_not: frozenset[int] = frozenset(),
    forced: frozenset[int] = frozenset(),
    fixed: frozenset[int] = frozenset(),
) -> Suppression:
    """Decide which figures to hide.

    `prefer_not`: hide only if nothing else will do; `forced`: hidden elsewhere, so hidden
    here too; `fixed`: published elsewhere, so never hidden here (treated as known)."""
    k = effective_k(k)
    primary = {i for i, v in enumerate(values) if v < k and i not in fixed}
    hidden = primary | set(forced)

    def cheapest(candidates: Iterable[int]) -> int | None:
        pool = [i for i in candidates if i not in hidden and i not in fixed]
        if not pool:
            return None
        return min(pool, key=lambda i: (i in prefer_not, values[i], i))

    while True:
        changed = True
        while changed:
            changed = False
            for eq in equations:
                inside = [m for m in eq.members if m in hidden]
                if len(inside) == 1:
                    pick = cheapest(eq.members)
                    if pick is not None:
                        hidden.add(pick)
                        changed = True
        exposed = determined(equations, hidden)
        if not exposed:
            break
        target = min(exposed)
        related = [m for eq in equations if target in eq.members for m in eq.members]
        pick = cheapest(related)
        if pick is None:
            pick = cheapest(range(len(values)))
        if pick is None:  # everything hidden already; cannot happen with `exposed` non-empty
            break
        hidden.add(pick)
    return Suppression(frozenset(primary), frozenset(hidden - primary))
