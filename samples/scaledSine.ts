/**
 * y_i = s · sin(x_i), returning a Float64Array: the derivatives keep the container type.
 *
 *   ∂y_i/∂x_j = s cos(x_i) δ_ij,   ∂y_i/∂s = sin(x_i)
 *
 * @jvp x, s
 * @vjp x, s
 * @jacobian x, s
 */
export function scaledSine(x: Float64Array, s: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = s * Math.sin(x[i]);
  return y;
}

export function scaledSineInputs(): Parameters<typeof scaledSine> {
  return [Float64Array.from([0.2, -1.1, 0.7]), 1.5];
}
