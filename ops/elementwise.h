#pragma once
// Elementwise ops. Binary ops broadcast like NumPy; their gradients are summed back to each input's
// shape. Comparisons return 1/0 in the inputs' dtype and are not differentiable.
#include "core/tensor.h"

namespace rcnn {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// The larger (smaller) of a and b, elementwise, broadcast; NaN on either side gives NaN. At a tie the
// gradient is split in halves, as in PyTorch (box intersections meet ties all the time).
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);  // not differentiable (its derivative is 0 almost everywhere)
Tensor floor(const Tensor& x);  // the same: RoI pooling's cell bounds, anchor grids
Tensor ceil(const Tensor& x);
Tensor clamp(const Tensor& x, double lo, double hi);
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);  // min(max(x, 0), 6): MobileNetV2's activation
Tensor sigmoid(const Tensor& x);

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

// cond != 0 ? a : b, broadcast; differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// A 0-d tensor holding `value`, with t's dtype and device: the scalar side of `t * 2`.
Tensor scalar_like(const Tensor& t, double value);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
inline Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
inline Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
inline Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }

}  // namespace rcnn
