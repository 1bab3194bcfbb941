"""Maximum-likelihood fits of the scenario's duration families, with censoring and truncation.

``fit_duration(events, censored, trunc)`` fits ``exponential``, ``lognormal``, ``gamma`` (and
``uniform`` when nothing is censored; ``constant`` when every value is the same), chooses the
family with the lowest AIC, and gives each parameter of the chosen family with its standard
error (observed information, numerical Hessian, delta method for mean and sd), so that
``Estimate.interval(name, level)`` is a Wald interval. The log-likelihood of an event ``x`` is
``log f(x)``, of a right-censored ``c`` is ``log S(c)``, and every observation of a sample
truncated above at ``T`` (ring times: only answers before the ring timeout are seen) is divided
by ``F(T)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

FAMILIES = ("exponential", "lognormal", "gamma", "uniform")


def _frozen(family: str, th: np.ndarray):
    if family == "exponential":
        return stats.expon(scale=math.exp(th[0]))
    if family == "lognormal":
        return stats.lognorm(s=math.exp(th[1]), scale=math.exp(th[0]))
    if family == "gamma":
        return stats.gamma(a=math.exp(th[0]), scale=math.exp(th[1]))
    raise ValueError(family)


def _mean_sd(family: str, th: np.ndarray) -> tuple[float, float]:
    if family == "exponential":
        m = math.exp(th[0])
        return m, m
    if family == "lognormal":
        mu, s = th[0], math.exp(th[1])
        mean = math.exp(mu + s * s / 2)
        return mean, mean * math.sqrt(math.expm1(s * s))
    if family == "gamma":
        k, sc = math.exp(th[0]), math.exp(th[1])
        return k * sc, math.sqrt(k) * sc
    raise ValueError(family)


def _start(family: str, x: np.ndarray) -> np.ndarray:
    m = float(np.mean(x)) if len(x) else 1.0
    m = max(m, 1e-3)
    v = float(np.var(x)) if len(x) > 1 else m * m
    v = max(v, 1e-6)
    if family == "exponential":
        return np.array([math.log(m)])
    if family == "lognormal":
        s2 = math.log1p(v / (m * m))
        return np.array([math.log(m) - s2 / 2, 0.5 * math.log(max(s2, 1e-6))])
    k = max(m * m / v, 1e-3)
    return np.array([math.log(k), math.log(m / k)])


def _negll(family: str, th: np.ndarray, x: np.ndarray, c: np.ndarray, trunc: float | None) -> float:
    """Negative log-likelihood, in closed form (scipy.special) for speed."""
    with np.errstate(all="ignore"):
        if family == "exponential":
            m = math.exp(th[0])
            ll = -len(x) * th[0] - float(np.sum(x)) / m - float(np.sum(c)) / m
            if trunc is not None:
                ll -= (len(x) + len(c)) * math.log(-math.expm1(-trunc / m)) if trunc / m > 1e-300 else 1e300
        elif family == "lognormal":
            mu, s = th[0], math.exp(th[1])
            lx = np.log(x)
            z = (lx - mu) / s
            ll = float(np.sum(-lx - th[1] - 0.5 * math.log(2 * math.pi) - 0.5 * z * z))
            if len(c):
                ll += float(np.sum(special.log_ndtr(-(np.log(c) - mu) / s)))
            if trunc is not None:
                ll -= (len(x) + len(c)) * float(special.log_ndtr((math.log(trunc) - mu) / s))
        elif family == "gamma":
            k, sc = math.exp(th[0]), math.exp(th[1])
            ll = float(np.sum((k - 1) * np.log(x) - x / sc)) - len(x) * (special.gammaln(k) + k * th[1])
            if len(c):
                ll += float(np.sum(np.log(special.gammaincc(k, c / sc))))
            if trunc is not None:
                ll -= (len(x) + len(c)) * math.log(max(float(special.gammainc(k, trunc / sc)), 1e-300))
        else:
            raise ValueError(family)
    return -ll if math.isfinite(ll) else 1e300


def _hessian(f: Callable[[np.ndarray], float], th: np.ndarray, h: float = 1e-4) -> np.ndarray:
    k = len(th)
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = h
            ej[j] = h
            val = (f(th + ei + ej) - f(th + ei - ej) - f(th - ei + ej) + f(th - ei - ej)) / (4 * h * h)
            H[i, j] = H[j, i] = val
    return H


def _grad(g: Callable[[np.ndarray], float], th: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros(len(th))
    for i in range(len(th)):
        e = np.zeros(len(th))
        e[i] = h
        out[i] = (g(th + e) - g(th - e)) / (2 * h)
    return out


@dataclass
class Estimate:
    """One fitted distribution: its family, the scenario value, each parameter with a standard
    error (``se``) or, for uniform bounds, an exponential-tail scale (``tail``)."""

    family: str
    dist: dict
    params: dict[str, float]
    se: dict[str, float] = field(default_factory=dict)
    tail: dict[str, tuple[float, int]] = field(default_factory=dict)
    n_events: int = 0
    n_censored: int = 0
    ks: float = float("nan")
    ks_kind: str = "KS"
    aic: dict[str, float] = field(default_factory=dict)
    events: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    censored: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    trunc: float | None = None
    cdf: Callable | None = field(default=None, repr=False)
    pdf: Callable | None = field(default=None, repr=False)

    @property
    def mean(self) -> float:
        p = self.params
        if self.family == "uniform":
            return (p["low"] + p["high"]) / 2
        if self.family == "constant":
            return p["value"]
        return p["mean"]

    @property
    def sd(self) -> float:
        p = self.params
        if self.family == "uniform":
            return (p["high"] - p["low"]) / math.sqrt(12)
        if self.family == "constant":
            return 0.0
        return p.get("sd", p["mean"])

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        v = self.params[name]
        if name in self.se:
            z = stats.norm.ppf(0.5 + level / 2)
            return v - z * self.se[name], v + z * self.se[name]
        if name in self.tail:
            scale, side = self.tail[name]
            d = scale * -math.log(1 - level)  # P(gap > d) = exp(-d/scale) for the extreme of n uniforms
            return (v - d, v) if side < 0 else (v, v + d)
        return v, v

    def describe(self) -> str:
        lo, hi = self.interval("mean") if "mean" in self.params else (float("nan"), float("nan"))
        extra = f" (95 % CI {lo:.3g}-{hi:.3g})" if "mean" in self.se else ""
        return (f"{self.family}, mean {self.mean:.3g}s{extra}, sd {self.sd:.3g}s; n={self.n_events}"
                f"{f' + {self.n_censored} censored' if self.n_censored else ''}; {self.ks_kind} {self.ks:.3f}")


def _sec(v: float) -> str:
    return f"{round(v * 1000)}ms" if v < 10 else f"{v:.4g}s" if v < 1e5 else f"{round(v)}s"


def kaplan_meier(events: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct event times and the Kaplan-Meier survival just after each."""
    t = np.concatenate([events, censored])
    d = np.concatenate([np.ones(len(events)), np.zeros(len(censored))])
    order = np.lexsort((1 - d, t))  # events before censorings at a tie
    t, d = t[order], d[order]
    n = len(t)
    at_risk = n - np.arange(n)
    factors = np.where(d == 1, 1 - 1 / at_risk, 1.0)
    surv = np.cumprod(factors)
    mask = d == 1
    return t[mask], surv[mask]


def fit_duration(events, censored=(), trunc: float | None = None, families=FAMILIES) -> Estimate | None:
    """Fit the families by maximum likelihood and return the best by AIC (None without data)."""
    x = np.asarray(events, dtype=float)
    c = np.asarray(censored, dtype=float)
    x = x[np.isfinite(x)]
    c = c[np.isfinite(c)]
    x = np.maximum(x, 0.0)
    if len(x) == 0:
        return None
    if len(c) == 0 and np.ptp(x) < 1e-3:
        v = float(np.round(np.mean(x), 3))
        return Estimate("constant", {"dist": "constant", "value": _sec(v)}, {"value": v}, n_events=len(x),
                        ks=0.0, events=x, censored=c, trunc=trunc)
    xp = np.maximum(x, 1e-6)
    cp = np.maximum(c, 1e-6)
    aic: dict[str, float] = {}
    fits = {}
    for fam in families:
        if fam == "uniform":
            if len(c) or len(x) < 2:
                continue
            lo, hi = float(x.min()), float(x.max())
            if hi <= lo:
                continue
            ll = -len(x) * math.log(hi - lo)
            if trunc is not None and hi > trunc:
                continue
            aic[fam] = 2 * 2 - 2 * ll
            fits[fam] = (lo, hi)
            continue
        f = lambda th, fam=fam: _negll(fam, th, xp, cp, trunc)
        th0 = _start(fam, xp)
        res = optimize.minimize(f, th0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
        res = optimize.minimize(f, res.x, method="BFGS") if len(th0) > 0 else res
        th = res.x
        nll = f(th)
        if not math.isfinite(nll) or nll >= 1e299:
            continue
        aic[fam] = 2 * len(th) + 2 * nll
        fits[fam] = th
    if not aic:
        return None
    fam = min(aic, key=aic.get)
    if fam == "uniform":
        lo, hi = fits[fam]
        n = len(x)
        d = stats.uniform(loc=lo, scale=hi - lo)
        est = Estimate("uniform", {"dist": "uniform", "low": _sec(lo), "high": _sec(hi)}, {"low": lo, "high": hi},
                       tail={"low": ((hi - lo) / n, -1), "high": ((hi - lo) / n, 1)})
    else:
        th = fits[fam]
        f = lambda t, fam=fam: _negll(fam, t, xp, cp, trunc)
        try:
            cov = np.linalg.inv(_hessian(f, th))
            if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            cov = np.full((len(th), len(th)), np.nan)
        mean, sd = _mean_sd(fam, th)
        gm = _grad(lambda t: _mean_sd(fam, t)[0], th)
        gs = _grad(lambda t: _mean_sd(fam, t)[1], th)
        se_m = math.sqrt(max(float(gm @ cov @ gm), 0.0))
        se_s = math.sqrt(max(float(gs @ cov @ gs), 0.0))
        d = _frozen(fam, th)
        if fam == "exponential":
            est = Estimate(fam, {"dist": fam, "mean": _sec(mean)}, {"mean": mean}, se={"mean": se_m})
        else:
            est = Estimate(fam, {"dist": fam, "mean": _sec(mean), "sd": _sec(sd)}, {"mean": mean, "sd": sd},
                           se={"mean": se_m, "sd": se_s})
    est.n_events, est.n_censored, est.aic = len(x), len(c), aic
    est.events, est.censored, est.trunc = x, c, trunc
    if trunc is not None:
        ft = float(d.cdf(trunc))
        est.cdf = lambda t, d=d, ft=ft: np.minimum(d.cdf(t) / ft, 1.0)
        est.pdf = lambda t, d=d, ft=ft: d.pdf(t) / ft
    else:
        est.cdf, est.pdf = d.cdf, d.pdf
    if len(c):
        times, surv = kaplan_meier(x, c)
        est.ks = float(np.max(np.abs((1 - surv) - est.cdf(times)))) if len(times) else float("nan")
        est.ks_kind = "KS (Kaplan-Meier vs fit)"
    else:
        est.ks = float(stats.kstest(x, est.cdf).statistic)
    return est


__all__ = ["Estimate", "fit_duration", "kaplan_meier"]
