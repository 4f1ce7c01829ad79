#version 450
#extension GL_GOOGLE_include_directive : require
// leaky_relu: Keras's LeakyReLU (src/backend/op.hpp's op::LeakyRelu):
// y = x for x >= 0, negative_slope * x below; derivative 1 for x > 0,
// negative_slope otherwise. Parameters: p0 negative_slope.
#include "elementwise.glsl"

float value(float x) { return x >= 0.0 ? x : p.p0 * x; }
float derivative(float x) { return x > 0.0 ? 1.0 : p.p0; }
