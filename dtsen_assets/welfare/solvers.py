"""The linear algebra of the PMT's linear candidates: weighted cross products, GCV, bounded ridge, OLS.

Cross-validating the PMT fits the same few linear models hundreds of times (folds, repeats, the
nested folds of the publish gate, the data tiers) on subsets of one survey. Every such fit needs
only the weighted cross products of its design with itself and with log consumption, so:

- `CrossProducts` holds them for a set of households over the union of every linear candidate's
  columns. Cross products add up over disjoint households, so one pass over the survey per fold
  split gives every training set of the split (the sum of the other folds) and every candidate
  (a sub-block);
- `gcv_choice` chooses the ridge penalty by weighted generalized cross-validation from one
  tridiagonal reduction of the Gram matrix (no eigenvectors);
- `bounded_ridge` solves the ridge with coefficients held >= 0 by the active-set steps of
  bounded-variable least squares (Stark & Parker), each a Cholesky solve of the free block;
- `minimum_norm_least_squares` is the weighted OLS of scikit-learn's LinearRegression (minimum-norm
  least squares, singular values under 1e-6 of the largest treated as zero), from the Gram matrix.

Each gives what the direct computation on the household rows gives, up to rounding (about 1e-12
relative); where rounding could decide (a Gram spectrum without a clear gap), it falls back to the
direct computation. `tests/welfare/test_solvers.py` compares them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas, cho_factor, cho_solve, eigh_tridiagonal, lapack
from sklearn.linear_model import LinearRegression

# A Gram eigenvalue under this share of the largest is rounding noise of an exactly collinear design
# (one-hot levels summing to one, regencies summing to their province).
NOISE = 1e-13


@dataclass
class WeightedGram:
    """The weighted, centred cross products a ridge needs: computed once per design, reused for every
    penalty (and every rescaling of the columns)."""

    gram: np.ndarray        # X'WX of the centred design
    moment: np.ndarray      # X'Wy
    total: float            # y'Wy
    x_mean: np.ndarray
    y_mean: float
    n: int
    nonzero: np.ndarray | None = None                # households with each column nonzero
    rows: Callable[[], tuple] | None = None          # () -> (x dense, y, w): the households themselves

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> WeightedGram:
        w = np.asarray(w, float)
        x_mean = w @ x / w.sum()
        y_mean = float(w @ y / w.sum())
        root = np.sqrt(w)
        xc = (x - x_mean) * root[:, None]
        yc = (y - y_mean) * root
        return cls(xc.T @ xc, xc.T @ yc, float(yc @ yc), x_mean, y_mean, int(y.size),
                   np.count_nonzero(x, axis=0), lambda: (x, y, w))

    def intercept(self, coef: np.ndarray) -> float:
        return self.y_mean - float(self.x_mean @ coef)

    def restricted(self, columns: np.ndarray) -> WeightedGram:
        """The same households with only the design's `columns`."""
        rows = self.rows

        def restricted_rows() -> tuple:
            x, y, w = rows()
            return x[:, columns], y, w
        return WeightedGram(self.gram[np.ix_(columns, columns)], self.moment[columns], self.total,
                            self.x_mean[columns], self.y_mean, self.n,
                            None if self.nonzero is None else self.nonzero[columns],
                            None if rows is None else restricted_rows)


# ----------------------------------------------------------------------------------------------
# Cross products
# ----------------------------------------------------------------------------------------------

class CrossDesign:
    """A design (households x columns, sparse) prepared for cross products over any of its households.

    Columns with many nonzeros (one-hot levels most households share, the standardized numbers) are
    multiplied as a dense block, the rest (regency and province indicators, provincial slopes) as
    sparse; the dense ones are shifted by their weighted mean first, and log consumption by its
    own, so that centring a fold's cross products cancels no large numbers.
    """

    def __init__(self, design: sp.spmatrix, y: np.ndarray, w: np.ndarray, dense_share: float = 0.05) -> None:
        design = sp.csr_matrix(design)
        self.width = design.shape[1]
        self.y = np.asarray(y, float)
        self.w = np.asarray(w, float)
        self.design = design
        share = np.bincount(design.indices, minlength=self.width) / max(design.shape[0], 1)
        dense = np.flatnonzero(share >= dense_share)
        sparse_columns = np.flatnonzero(share < dense_share)
        self.dense_count = dense.size
        self.sparse = design[:, sparse_columns].tocsr()
        self.shift = self.w @ design[:, dense].toarray() / self.w.sum() if dense.size else np.zeros(0)
        self.y_shift = float(self.w @ self.y / self.w.sum())
        # [1, dense columns, y - its mean], read a fold at a time
        self.dense = sp.hstack([np.ones((design.shape[0], 1)), design[:, dense],
                                (self.y - self.y_shift)[:, None]], format="csr")
        # position of each design column in [1, dense..., sparse..., y]
        self.position = np.empty(self.width, dtype=np.int64)
        self.position[dense] = 1 + np.arange(dense.size)
        self.position[sparse_columns] = 1 + dense.size + np.arange(sparse_columns.size)
        self.column_shift = np.zeros(self.width)
        self.column_shift[dense] = self.shift

    def cross_products(self, rows: np.ndarray) -> CrossProducts:
        """[1, x, y]' W [1, x, y] over households `rows` (x shifted as described above)."""
        rows = np.asarray(rows)
        w = self.w[rows]
        z = self.dense[rows].toarray()
        columns = z[:, 1:-1]
        nonzero_dense = np.count_nonzero(columns, axis=0)
        columns -= self.shift
        upper = blas.dsyrk(1.0, z * np.sqrt(w)[:, None], trans=1)      # z'Wz, upper triangle
        sparse = self.sparse[rows]
        d, s = self.dense_count + 1, sparse.shape[1]
        size = d + s + 1
        zz = np.empty((size, size))
        dense_index = np.r_[0:d, size - 1]
        zz[np.ix_(dense_index, dense_index)] = np.triu(upper) + np.triu(upper, 1).T
        if s:
            weighted = sparse.multiply(w[:, None]).tocsr()
            sd = np.asarray(weighted.T @ z)
            zz[d:d + s, dense_index] = sd
            zz[dense_index, d:d + s] = sd.T
            zz[d:d + s, d:d + s] = (sparse.T @ weighted).toarray()
        nonzero = np.concatenate([nonzero_dense, np.bincount(sparse.indices[sparse.data != 0], minlength=s)])
        return CrossProducts(self, zz, nonzero, rows.size, rows)


@dataclass
class CrossProducts:
    """Weighted cross products of [1, x, y] over a set of households of a CrossDesign."""

    source: CrossDesign
    zz: np.ndarray
    nonzero: np.ndarray       # households with each (dense, then sparse) column nonzero
    households: int
    rows: np.ndarray

    def __add__(self, other: CrossProducts) -> CrossProducts:
        return CrossProducts(self.source, self.zz + other.zz, self.nonzero + other.nonzero,
                             self.households + other.households, np.concatenate([self.rows, other.rows]))

    def gram(self, columns: np.ndarray) -> WeightedGram:
        """The centred weighted Gram matrix of the design's `columns` over these households."""
        source = self.source
        index = source.position[columns]
        zz = self.zz
        weight = zz[0, 0]
        sum_x, sum_y = zz[0, index], zz[0, -1]
        gram = zz[np.ix_(index, index)] - np.outer(sum_x, sum_x) / weight
        moment = zz[index, -1] - sum_x * sum_y / weight
        total = float(zz[-1, -1] - sum_y * sum_y / weight)
        x_mean = sum_x / weight + source.column_shift[columns]
        y_mean = float(sum_y / weight + source.y_shift)
        rows = np.sort(self.rows)
        return WeightedGram(gram, moment, total, x_mean, y_mean, self.households, self.nonzero[index - 1],
                            lambda: (source.design[rows][:, columns].toarray(), source.y[rows], source.w[rows]))


def total(parts: list[CrossProducts]) -> CrossProducts:
    """The cross products of the union of disjoint sets of households."""
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


# ----------------------------------------------------------------------------------------------
# Ridge penalty by generalized cross-validation
# ----------------------------------------------------------------------------------------------

def gcv_ridge(g: WeightedGram, alphas: tuple[float, ...],
              scale: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """(coef, alpha, GCV) of the ridge on the design with columns multiplied by `scale` (coef in the
    original units): scaling a column by 1/sqrt(r) is penalizing its coefficient r times harder.

    One eigen-decomposition of the weighted, centred Gram matrix serves every alpha:
    GCV(alpha) = RSS(alpha) / (1 - df(alpha) / n)^2, the rotation-invariant form of leave-one-out.
    """
    gram, moment = _scaled(g, scale)
    eigenvalues, vectors = np.linalg.eigh(gram)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    projected = vectors.T @ moment                      # V' X' y  (= s * U' y)
    with np.errstate(divide="ignore", invalid="ignore"):
        uty_squared = np.where(eigenvalues > 1e-10 * eigenvalues.max(), projected ** 2 / eigenvalues, 0.0)
    best = None
    for alpha in alphas:
        shrink = eigenvalues / (eigenvalues + alpha)
        rss = g.total - float(np.sum((2 * shrink - shrink ** 2) * uty_squared))
        df = float(shrink.sum()) + 1.0                   # + the intercept
        best = _better(best, _gcv(rss, df, g.n), alpha)
    alpha = best[1]
    coef = vectors @ (projected / (eigenvalues + alpha))
    if scale is not None:
        coef = coef * scale
    return coef, float(alpha), float(best[0])


def gcv_choice(g: WeightedGram, alphas: tuple[float, ...], scale: np.ndarray | None = None) -> tuple[float, float]:
    """(alpha, GCV) of `gcv_ridge`, without its coefficients, at a third of the cost.

    The Gram matrix is reduced to tridiagonal form T = Q'GQ once; for each alpha, with r = Q'X'y,
    the explained sum of squares is r'(T + alpha)^-1 r + alpha |(T + alpha)^-1 r|² and the degrees
    of freedom p - alpha tr (T + alpha)^-1, both in O(p). `gcv_ridge` leaves out the directions whose
    eigenvalue is under 1e-10 of the largest; here they count, which changes nothing when they are
    rounding noise (under NOISE): when the spectrum has eigenvalues between the two, or the Gram
    matrix is tiny, `gcv_ridge` itself decides.
    """
    gram, moment = _scaled(g, scale)
    width = gram.shape[0]
    if width < 3:
        return gcv_ridge(g, alphas, scale)[1:]
    lwork = int(lapack.dsytrd_lwork(width, lower=1)[0])
    reduced, diagonal, off, tau, info = lapack.dsytrd(gram, lower=1, lwork=lwork)
    if info:
        return gcv_ridge(g, alphas, scale)[1:]
    rotated = moment.astype(float)
    product, _, info = lapack.dormqr("L", "T", reduced[1:, :-1], tau, rotated[1:, None], lwork=max(1, 64 * width))
    rotated[1:] = product[:, 0]
    smallest, largest = (eigh_tridiagonal(diagonal, off, eigvals_only=True, select="i", select_range=(i, i),
                                          check_finite=False)[0] for i in (0, width - 1))
    if info or not largest > 0 or smallest < -NOISE * largest:
        return gcv_ridge(g, alphas, scale)[1:]
    between = eigh_tridiagonal(diagonal, off, eigvals_only=True, select="v",
                               select_range=(NOISE * largest, 1e-9 * largest), check_finite=False)
    if between.size:
        return gcv_ridge(g, alphas, scale)[1:]
    best = None
    for alpha in alphas:
        shifted = diagonal + alpha
        forward, _, solution, info_forward = lapack.dptsv(shifted, off, rotated[:, None])
        backward, _, _, info_backward = lapack.dptsv(shifted[::-1], off[::-1], np.zeros((width, 1)))
        if info_forward or info_backward:
            return gcv_ridge(g, alphas, scale)[1:]
        # diagonal of (T + alpha)^-1 from the pivots of its LDL' factorizations from both ends
        inverse_diagonal = 1.0 / (forward + backward[::-1] - shifted)
        solution = solution[:, 0]
        explained = float(rotated @ solution) + alpha * float(solution @ solution)
        df = width - alpha * float(inverse_diagonal.sum()) + 1.0          # + the intercept
        best = _better(best, _gcv(g.total - explained, df, g.n), alpha)
    return float(best[1]), float(best[0])


def _scaled(g: WeightedGram, scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if scale is None:
        return g.gram, g.moment
    return g.gram * np.outer(scale, scale), g.moment * scale


def _gcv(rss: float, df: float, n: int) -> float:
    return rss / max(1.0 - df / n, 1e-6) ** 2


def _better(best: tuple | None, gcv: float, alpha: float) -> tuple:
    return (gcv, alpha) if best is None or gcv < best[0] - 1e-15 else best


# ----------------------------------------------------------------------------------------------
# Ridge with coefficients held >= 0
# ----------------------------------------------------------------------------------------------

def bounded_ridge(g: WeightedGram, alpha: float | np.ndarray, nonnegative: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Weighted ridge (intercept not penalized) with the coefficients `nonnegative` held >= 0.

    Bounded-variable least squares (scipy's `lsq_linear(method="bvls")`, whose steps and stopping
    rules this follows) on the ridge objective 1/2 b'Hb - b'X'y, H = X'WX + diag(alpha). Each step
    solves the free coefficients with the bound ones fixed, from the one Cholesky factorization of H
    (`_free_solver`), so the cost grows with the number of design columns, not of households.
    """
    width = g.gram.shape[0]
    penalty = np.broadcast_to(np.asarray(alpha, float), (width,))
    hessian = g.gram + np.diag(penalty)
    moment = g.moment
    factor = cho_factor(hessian)
    unconstrained = cho_solve(factor, moment)
    lower = np.full(width, -np.inf)
    lower[nonnegative] = 0.0
    if np.all(unconstrained >= lower):
        return unconstrained
    solve_free = _free_solver(hessian, factor)

    def solve(free: np.ndarray, x: np.ndarray) -> np.ndarray:
        bound = np.flatnonzero(on_bound != 0)
        right = np.zeros(width)
        right[free] = moment[free] - hessian[np.ix_(free, bound)] @ x[bound]
        return solve_free(right, bound)[free]

    def cost_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        gradient = hessian @ (x - unconstrained)        # = Hx - X'y
        return 0.5 * float((x - unconstrained) @ gradient), gradient

    x = unconstrained.copy()
    on_bound = np.zeros(width)
    mask = x <= lower
    x[mask] = lower[mask]
    on_bound[mask] = -1
    free = np.flatnonzero(on_bound == 0)
    cost, gradient = cost_and_gradient(x)
    iteration = 0
    # initialization: the least squares of the free coefficients until it is feasible
    while free.size > 0:
        iteration += 1
        z = solve(free, x)
        violated = z < lower[free]
        if violated.any():
            index = free[violated]
            x[index] = lower[index]
            on_bound[index] = -1
        x[free[~violated]] = z[~violated]
        cost, gradient = cost_and_gradient(x)
        if violated.any():
            free = free[~violated]
        else:
            break
    optimality = _kkt(gradient, on_bound)
    for iteration in range(iteration, width + iteration):
        if optimality < tol:
            break
        on_bound[np.argmax(gradient * on_bound)] = 0
        while True:
            free = np.flatnonzero(on_bound == 0)
            x_free = x[free]
            z = solve(free, x)
            violated = np.flatnonzero(z < lower[free])
            if violated.size:
                steps = (lower[free][violated] - x_free[violated]) / (z[violated] - x_free[violated])
                i = np.argmin(steps)
                x_free = x_free * (1 - steps[i]) + steps[i] * z
                x[free] = x_free
                on_bound[free[violated[i]]] = -1
            else:
                x[free] = z
                break
        new_cost, gradient = cost_and_gradient(x)
        stalled = cost - new_cost < tol * cost
        cost = new_cost
        optimality = _kkt(gradient, on_bound)
        if stalled:
            break
    return x


def _free_solver(hessian: np.ndarray, factor) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """solve(right, bound) -> u with u[bound] = 0 and (H u)[free] = right[free], free = the rest.

    u = H^-1 (right + E_bound l), with l making u[bound] zero: one solve with the factorization of H
    and the columns of H^-1 of the bound coefficients (kept, as few change between steps), instead of
    factorizing the free block at every step."""
    columns: dict[int, np.ndarray] = {}

    def inverse_column(j: int) -> np.ndarray:
        if j not in columns:
            unit = np.zeros(hessian.shape[0])
            unit[j] = 1.0
            columns[j] = cho_solve(factor, unit)
        return columns[j]

    def solve(right: np.ndarray, bound: np.ndarray) -> np.ndarray:
        u = cho_solve(factor, right)
        if bound.size:
            inverse = np.column_stack([inverse_column(j) for j in bound])
            u = u + inverse @ np.linalg.solve(inverse[bound], -u[bound])
        return u
    return solve


def _kkt(gradient: np.ndarray, on_bound: np.ndarray) -> float:
    """The largest violation of the optimality conditions (scipy's compute_kkt_optimality)."""
    violation = gradient * on_bound
    free = on_bound == 0
    violation[free] = np.abs(gradient[free])
    return float(np.max(violation))


# ----------------------------------------------------------------------------------------------
# OLS
# ----------------------------------------------------------------------------------------------

def minimum_norm_least_squares(g: WeightedGram) -> np.ndarray:
    """The coefficients LinearRegression().fit(x, y, sample_weight=w) gives on the rows of `g`.

    LinearRegression solves the centred, weighted least squares by SVD, treating singular values
    under 1e-6 of the largest as zero (minimum-norm solution of a collinear design). Those are the
    square roots of the Gram matrix's eigenvalues, so the solution is V diag(1/lambda) V'X'y over
    the eigenvalues above 1e-12 of the largest. When an eigenvalue lies where rounding could put it
    on either side (between NOISE and 1e-7 of the largest), or the kept spectrum is so wide that
    squaring the condition number would cost accuracy, the rows are fitted directly instead.
    """
    eigenvalues, vectors = np.linalg.eigh(g.gram)
    largest = eigenvalues[-1] if eigenvalues.size else 0.0
    unclear = (eigenvalues > NOISE * largest) & (eigenvalues < 1e-7 * largest)
    if largest <= 0 or unclear.any():
        x, y, w = g.rows()
        return LinearRegression().fit(x, y, sample_weight=w).coef_
    kept = eigenvalues >= 1e-7 * largest
    basis = vectors[:, kept]
    return basis @ ((basis.T @ g.moment) / eigenvalues[kept])
