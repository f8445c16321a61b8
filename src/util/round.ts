/** `v` rounded to `digits` decimals: what the results files keep of a measured figure. */
export const roundTo = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
