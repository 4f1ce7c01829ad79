#version 450
#extension GL_GOOGLE_include_directive : require
// rescale: Keras's Rescaling, y = x * scale + offset (src/backend/op.hpp's
// op::Rescale). Parameters: p0 scale, p1 offset.
#include "elementwise.glsl"

float value(float x) { return x * p.p0 + p.p1; }
float derivative(float x) { return p.p0; }
