// Logarithms and exp-minus-one accurate to a few ULP on any conformant
// Vulkan device, for the loss shaders and Adam's bias corrections.
//
// Vulkan only promises log() to an absolute error of 2^-21 for arguments in
// [0.5, 2] (3 ULP relative outside), and exp() to 3 + 2|x| ULP. The values
// these shaders need sit exactly where that hurts: a well-trained
// classifier's loss is log(1 + 1e-3) = 1e-3, where 2^-21 is a 5e-4 relative
// error; Adam's 1 - 0.999^t for small t is 1 - exp(tiny), where exp()'s
// error of an ULP of 1 is 1e-4 of the result. The CPU reference computes
// these in double. So near those points these helpers use series that need
// only + * /, and the library functions only where their relative bounds
// are good.
#ifndef VKNN_ACCURATE_MATH_GLSL
#define VKNN_ACCURATE_MATH_GLSL

// 2 * atanh(z) = log((1 + z) / (1 - z)) for |z| <= 1/3:
// 2 (z + z^3/3 + z^5/5 + ... + z^17/17); the first omitted term is below
// (1/9)^9 < 3e-9 of the sum, under float's half ULP.
float vknn_two_atanh(float z) {
  float z2 = z * z;
  float series = 1.0 / 17.0;
  series = 1.0 / 15.0 + z2 * series;
  series = 1.0 / 13.0 + z2 * series;
  series = 1.0 / 11.0 + z2 * series;
  series = 1.0 / 9.0 + z2 * series;
  series = 1.0 / 7.0 + z2 * series;
  series = 1.0 / 5.0 + z2 * series;
  series = 1.0 / 3.0 + z2 * series;
  series = 1.0 + z2 * series;
  return 2.0 * z * series;
}

// log(1 + s) for s >= 0 (or NaN), accurate for small s.
float vknn_log1p(float s) {
  // 1 + s > 2 is where log()'s relative 3-ULP bound applies.
  if (s > 1.0) return log(1.0 + s);
  return vknn_two_atanh(s / (2.0 + s));  // z in [0, 1/3]
}

// log(x) for x > 0 (or NaN), accurate near 1.
float vknn_log(float x) {
  if (x >= 0.5 && x <= 2.0) return vknn_two_atanh((x - 1.0) / (x + 1.0));  // x - 1 is exact here
  return log(x);
}

// exp(y) - 1 for y <= 0, accurate for small |y|.
float vknn_expm1_nonpositive(float y) {
  // Below -0.5, 1 - exp(y) > 0.39: exp()'s error stays a few ULP of it.
  if (y < -0.5) return exp(y) - 1.0;
  // Taylor, y + y^2/2! + ... + y^11/11!; for |y| <= 0.5 the omitted terms
  // are below 0.5^12 / 12! = 5e-13 of the sum.
  float series = 1.0 / 39916800.0;  // 1/11!
  series = 1.0 / 3628800.0 + y * series;
  series = 1.0 / 362880.0 + y * series;
  series = 1.0 / 40320.0 + y * series;
  series = 1.0 / 5040.0 + y * series;
  series = 1.0 / 720.0 + y * series;
  series = 1.0 / 120.0 + y * series;
  series = 1.0 / 24.0 + y * series;
  series = 1.0 / 6.0 + y * series;
  series = 0.5 + y * series;
  series = 1.0 + y * series;
  return y * series;
}

#endif
