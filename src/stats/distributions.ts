/**
 * Upper tails of the reference distributions behind the tests' p-values. Computed directly as
 * survival functions (never as 1 - cdf), so p-values far below machine epsilon keep their
 * relative accuracy: a drift alert's p of 1e-40 should not print as 0.
 */
import erfc from '@stdlib/math-base-special-erfc';
import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * Standard normal survival function P(Z > z), as `scipy.stats.norm.sf(z)`: 0.5 * erfc(z / sqrt 2).
 * Accurate in the far upper tail (underflows to 0 only past z ~ 38.5); sf(-Infinity) = 1,
 * sf(Infinity) = 0, NaN gives NaN.
 */
export function normalSf(z: number): number {
  if (z !== z) return NaN;
  return 0.5 * erfc(z * Math.SQRT1_2);
}

/**
 * Chi-square survival function P(X > x) with `df` degrees of freedom, as
 * `scipy.stats.chi2.sf(x, df)`: the regularized upper incomplete gamma Q(df/2, x/2), evaluated
 * directly (no 1 - P cancellation), so tiny p-values stay accurate. Uses stdlib's gammainc for
 * x <= 2000 and its own continued fraction / series above (where stdlib is inaccurate).
 * x <= 0 gives 1, x = Infinity gives 0; NaN input or df <= 0 (or non-finite df) gives NaN, as
 * scipy does for arguments outside the distribution's domain.
 */
export function chiSquareSf(x: number, df: number): number {
  if (x !== x || df !== df || !(df > 0) || df === Infinity) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const a = df / 2;
  const z = x / 2;
  // stdlib's gammainc (a port of Boost's) takes an asymptotic large-z series for z > 1000 that is
  // only valid for a << z: with df in the hundreds or more it is off by up to a few percent
  // (e.g. df = x = 2001: 0.508 instead of 0.496). Above z = 1000 use our own evaluation.
  if (z > 1000) return upperGammaLargeZ(a, z);
  return gammainc(z, a, true, true);
}

/**
 * Regularized upper incomplete gamma Q(a, z) for z > 1000, any a > 0: the continued fraction for
 * Q when z > a + 1, else 1 - P with P's power series (P <= ~0.6 there, so no cancellation);
 * both times the prefactor z^a e^-z / Gamma(a) computed without cancellation.
 * Agrees with scipy's igamc to ~1e-13 relative.
 */
function upperGammaLargeZ(a: number, z: number): number {
  const prefix = gammaPrefix(a, z);
  if (prefix === 0) return z > a ? 0 : 1;
  if (z > a + 1) {
    // Modified Lentz evaluation of Gamma(a, z) e^z z^-a (Numerical Recipes' gcf).
    const tiny = 1e-300;
    let b = z + 1 - a;
    let c = 1 / tiny;
    let d = 1 / b;
    let h = d;
    for (let i = 1; i < 1_000_000; i++) {
      const an = -i * (i - a);
      b += 2;
      d = an * d + b;
      if (Math.abs(d) < tiny) d = tiny;
      c = b + an / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      const del = d * c;
      h *= del;
      if (Math.abs(del - 1) < 1e-16) break;
    }
    return prefix * h;
  }
  // P(a, z) = prefix * sum_n z^n / (a (a+1) ... (a+n))
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 1_000_000; n++) {
    ap += 1;
    term *= z / ap;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return 1 - prefix * sum;
}

/** z^a e^-z / Gamma(a), by Stirling's series around a so the large terms cancel analytically. */
function gammaPrefix(a: number, z: number): number {
  if (a >= 50) {
    // = sqrt(a / 2pi) exp(a (log1p(t) - t) - S(a)), t = (z - a)/a, S the Stirling correction.
    const t = (z - a) / a;
    return Math.sqrt(a / (2 * Math.PI)) * Math.exp(a * log1pmx(t) - stirlingCorrection(a));
  }
  return Math.exp(a * Math.log(z) - z - logGammaSmall(a));
}

/** log(1 + t) - t, accurate also for small |t| (where the difference cancels). */
function log1pmx(t: number): number {
  if (Math.abs(t) > 0.25) return Math.log1p(t) - t;
  // -t^2/2 + t^3/3 - ...: the terms shrink by at least 4x each.
  let power = t * t;
  let sum = 0;
  for (let k = 2; k < 60; k++) {
    const term = power / k;
    sum += k % 2 === 0 ? -term : term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    power *= t;
  }
  return sum;
}

/** log Gamma(a) - [(a - 1/2) log a - a + log(2 pi)/2], for a >= 50 (error < 1e-19). */
function stirlingCorrection(a: number): number {
  const r = 1 / a;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680))));
}

/** log Gamma(a) for 0 < a < 50: Stirling at a + k >= 50, shifted back by the recurrence. */
function logGammaSmall(a: number): number {
  let shift = 1;
  let b = a;
  while (b < 50) {
    shift *= b;
    b += 1;
  }
  return (b - 0.5) * Math.log(b) - b + 0.5 * Math.log(2 * Math.PI) + stirlingCorrection(b) - Math.log(shift);
}
