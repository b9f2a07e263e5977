#include "tests/op_cases.h"

#include "core/rng.h"
#include "layers/conv2d.h"
#include "layers/functional.h"
#include "layers/losses.h"
#include "layers/pool2d.h"
#include "layers/upsample.h"
#include "detection/boxes.h"
#include "detection/nms.h"
#include "detection/multi_scale_roi_align.h"
#include "detection/roi_pool.h"
#include "ops/ops.h"

namespace rcnn::testing {

namespace {
using In = const std::vector<Tensor>&;
constexpr Domain P = Domain::Positive;
constexpr Domain Z = Domain::Zero;

Tensor indices(const std::vector<int64_t>& v, const Shape& shape, const Tensor& like) {
  return from_vector(v, shape, like.device());
}

// Boxes in image pixels over a (2, C, 7, 6) feature map at scale 1/2: inside, partly outside, of zero
// size, and reaching the far edges; the image of each.
Tensor rois(const Tensor& like) {
  return from_vector<double>({1, 1, 9, 7, -3, 2, 6, 15, 4, 4, 4, 4, 10.5, 0.2, 13.9, 11.7}, {4, 4})
      .to(like.dtype())
      .to(like.device());
}
Tensor roi_images(const Tensor& like) { return indices({0, 1, 0, 1}, {4}, like); }

// Valid boxes from free inputs: corners (N, 2) in [-1, 1] scaled to [-10, 10], sizes (N, 2) positive.
Tensor boxes_from(const Tensor& corners, const Tensor& sizes) {
  const Tensor lo = corners * 10.0;
  return concat({lo, lo + sizes * 8.0}, 1);
}
}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = {
      {"add_broadcast", {{{2, 3}}, {{3}}}, [](In x) { return x[0] + x[1]; }},
      {"sub_broadcast", {{{2, 1, 3}}, {{4, 1}}}, [](In x) { return x[0] - x[1]; }},
      {"mul_broadcast", {{{2, 3}}, {{2, 1}}}, [](In x) { return x[0] * x[1]; }},
      {"div_broadcast", {{{2, 3}}, {{3}, P}}, [](In x) { return x[0] / x[1]; }},
      {"maximum_broadcast", {{{2, 3}}, {{3}}}, [](In x) { return maximum(x[0], x[1]); }},
      {"minimum_broadcast", {{{2, 1, 3}}, {{4, 1}}}, [](In x) { return minimum(x[0], x[1]); }},
      {"maximum_ties", {{{2, 3}}}, [](In x) { return maximum(x[0], x[0] * 1.0) + minimum(x[0] * 2.0, x[0] * 2.0); }},
      {"mul_scalar", {{{5}}}, [](In x) { return 3.0 * x[0] - 1.0; }},
      {"neg", {{{2, 3}}}, [](In x) { return -x[0]; }},
      {"exp", {{{2, 3}}}, [](In x) { return exp(x[0]); }},
      {"log", {{{2, 3}, P}}, [](In x) { return log(x[0]); }},
      {"sqrt", {{{2, 3}, P}}, [](In x) { return sqrt(x[0]); }},
      {"pow_3", {{{2, 3}}}, [](In x) { return pow(x[0], 3); }},
      {"pow_half", {{{2, 3}, P}}, [](In x) { return pow(x[0], 0.5); }},
      {"pow_0_at_0", {{{2, 3}, Z}}, [](In x) { return pow(x[0], 0); }},
      {"abs", {{{2, 3}}}, [](In x) { return abs(x[0]); }},
      {"floor_ceil", {{{2, 3}}}, [](In x) { return stack({floor(x[0] * 3.0), ceil(x[0] * 3.0)}, 0); }, true, false},
      {"clamp", {{{3, 4}}}, [](In x) { return clamp(x[0], -0.3, 0.4); }},
      {"relu", {{{3, 4}}}, [](In x) { return relu(x[0]); }},
      {"sigmoid", {{{3, 4}}}, [](In x) { return sigmoid(x[0] * 4.0); }},
      {"sum_all", {{{2, 3, 4}}}, [](In x) { return sum(x[0]); }},
      {"sum_dims_keepdim", {{{2, 3, 4}}}, [](In x) { return sum(x[0], {0, 2}, true); }},
      {"sum_dim", {{{2, 3, 4}}}, [](In x) { return sum(x[0], {1}); }},
      {"mean_all", {{{2, 3, 4}}}, [](In x) { return mean(x[0]); }},
      {"mean_dim", {{{2, 3, 4}}}, [](In x) { return mean(x[0], {-1}); }},
      {"max_all", {{{3, 4}}}, [](In x) { return max(x[0]); }},
      {"max_dim", {{{3, 4, 2}}}, [](In x) { return max(x[0], {1}); }},
      {"max_dims_keepdim", {{{3, 4, 2}}}, [](In x) { return max(x[0], {0, 2}, true); }},
      {"matmul_2d", {{{3, 4}}, {{4, 5}}}, [](In x) { return matmul(x[0], x[1]); }},
      {"matmul_batched", {{{2, 3, 4}}, {{2, 4, 5}}}, [](In x) { return matmul(x[0], x[1]); }},
      {"matmul_shared_rhs", {{{2, 3, 4}}, {{4, 5}}}, [](In x) { return matmul(x[0], x[1]); }},
      {"matmul_shared_lhs", {{{3, 4}}, {{2, 4, 5}}}, [](In x) { return matmul(x[0], x[1]); }},
      {"matmul_transposed_a", {{{2, 4, 3}}, {{2, 4, 5}}}, [](In x) { return matmul(x[0], x[1], true, false); }},
      {"matmul_transposed_both", {{{4, 3}}, {{5, 4}}}, [](In x) { return matmul(x[0], x[1], true, true); }},
      {"transpose", {{{2, 3, 4}}}, [](In x) { return transpose(x[0], 0, 2); }},
      {"permute", {{{2, 3, 4}}}, [](In x) { return permute(x[0], {1, 2, 0}); }},
      {"reshape", {{{2, 3, 4}}}, [](In x) { return reshape(x[0], {4, -1}) * 2.0; }},
      {"concat", {{{2, 3}}, {{2, 2}}}, [](In x) { return concat({x[0], x[1]}, 1); }},
      {"stack", {{{2, 3}}, {{2, 3}}}, [](In x) { return stack({x[0], x[1] * 2.0}, 1); }},
      {"narrow", {{{4, 5}}}, [](In x) { return narrow(x[0], 1, 1, 3); }},
      {"index_select", {{{4, 3}}},
       [](In x) { return index_select(x[0], 0, indices({3, 0, 3, 1}, {4}, x[0])); }},
      {"gather", {{{2, 3}}},
       [](In x) { return gather(x[0], 1, indices({2, 0, 0, 1, 1, 1}, {2, 3}, x[0])); }},
      {"where", {{{2, 3}}, {{2, 3}}}, [](In x) { return where(gt(x[0], x[1]), x[0], x[1] * 2.0); }},
      {"expand", {{{3, 1}}}, [](In x) { return expand(x[0], {2, 3, 4}); }},
      {"sort_values", {{{3, 5}}}, [](In x) { return sort(x[0], 1).values; }},
      {"sort_descending_dim0", {{{5, 3}}}, [](In x) { return sort(x[0], 0, true).values; }},
      {"topk_values", {{{2, 6}}}, [](In x) { return topk(x[0], 3).values; }},
      // layers
      {"conv2d", {{{2, 3, 6, 5}}, {{4, 3, 3, 3}}, {{4}}}, [](In x) { return conv2d(x[0], x[1], x[2], {1, 1, 1}); }},
      {"conv2d_stride2_nobias", {{{1, 2, 7, 7}}, {{3, 2, 3, 3}}},
       [](In x) { return conv2d(x[0], x[1], {}, {2, 0, 1}); }},
      {"conv2d_dilated", {{{1, 2, 7, 6}}, {{2, 2, 3, 3}}, {{2}}}, [](In x) { return conv2d(x[0], x[1], x[2], {1, 2, 2}); }},
      {"relu6", {{{3, 5}}}, [](In x) { return relu6(x[0] * 4.0); }},
      {"conv2d_1x1", {{{2, 4, 3, 3}}, {{5, 4, 1, 1}}, {{5}}}, [](In x) { return conv2d(x[0], x[1], x[2]); }},
      {"conv2d_groups2", {{{2, 4, 5, 5}}, {{6, 2, 3, 3}}, {{6}}}, [](In x) { return conv2d(x[0], x[1], x[2], {1, 1, 1, 2}); }},
      {"conv2d_depthwise_stride2", {{{1, 3, 7, 7}}, {{3, 1, 3, 3}}},
       [](In x) { return conv2d(x[0], x[1], {}, {2, 1, 1, 3}); }},
      {"max_pool2d", {{{2, 3, 6, 6}}}, [](In x) { return max_pool2d(x[0], {2, 2, 0, false}); }},
      {"max_pool2d_pad_ceil", {{{1, 2, 7, 5}}}, [](In x) { return max_pool2d(x[0], {3, 2, 1, true}); }},
      // a pyramid's top-down path: to odd sizes (float32 ratios), to exactly twice, to the same and a smaller size
      {"upsample_nearest_odd", {{{2, 3, 3, 5}}}, [](In x) { return upsample_nearest(x[0], 7, 9); }},
      {"upsample_nearest_x2", {{{1, 2, 4, 3}}}, [](In x) { return upsample_nearest(x[0], 8, 6); }},
      {"upsample_nearest_same_and_down", {{{1, 2, 5, 6}}}, [](In x) { return upsample_nearest(x[0], 5, 4); }},
      {"roi_align", {{{2, 3, 7, 6}}},
       [](In x) { return roi_align(x[0], rois(x[0]), roi_images(x[0]), {3, 0.5, 2, false}); }},
      // A two-level pyramid (strides 2 and 4 of a 16 x 16 image): two boxes pooled from each level by
      // the FPN's equation 1, back in box order. torchvision's equality: tests/test_fpn.cpp.
      {"multi_scale_roi_align", {{{2, 3, 8, 8}}, {{2, 3, 4, 4}}},
       [](In x) {
         const Tensor boxes = from_vector<double>({1, 1, 9, 7, -30, -20, 40, 50, 4, 4, 4, 4, 0, 0, 60, 60}, {4, 4})
                                  .to(x[0].dtype())
                                  .to(x[0].device());
         return multi_scale_roi_align({x[0], x[1]}, {2, 4}, boxes, roi_images(x[0]), {2, 0.5, 2, false});
       },
       /*has_reference=*/false},
      {"roi_align_adaptive_aligned", {{{2, 3, 7, 6}}},
       [](In x) { return roi_align(x[0], rois(x[0]), roi_images(x[0]), {2, 0.5, 0, true}); }},
      {"roi_pool", {{{2, 3, 7, 6}}}, [](In x) { return roi_pool(x[0], rois(x[0]), roi_images(x[0]), {3, 0.5}); }},
      {"crop_and_resize", {{{2, 3, 7, 6}}}, [](In x) { return crop_and_resize(x[0], rois(x[0]), roi_images(x[0]), 2, 0.5); }},
      // detection: box arithmetic (differentiable compositions) and NMS (indices, compared on values)
      {"box_iou", {{{5, 2}}, {{5, 2}, P}, {{3, 2}}, {{3, 2}, P}},
       [](In x) { return box_iou(boxes_from(x[0], x[1]), boxes_from(x[2], x[3])); }},
      {"encode_boxes", {{{4, 2}}, {{4, 2}, P}, {{4, 2}}, {{4, 2}, P}},
       [](In x) { return encode_boxes(boxes_from(x[0], x[1]), boxes_from(x[2], x[3])); }},
      {"decode_boxes", {{{4, 2}}, {{4, 2}, P}, {{4, 4}}},
       [](In x) { return decode_boxes(boxes_from(x[0], x[1]), x[2] * 0.5); }},
      {"clip_boxes", {{{6, 2}}, {{6, 2}, P}}, [](In x) { return clip_boxes(boxes_from(x[0], x[1]), 9, 7); }},
      {"nms", {{{12, 2}}, {{12, 2}, P}, {{12}}},
       [](In x) { return nms(boxes_from(x[0], x[1]), x[2], 0.3); }, true, false},
      {"batched_nms", {{{12, 2}}, {{12, 2}, P}, {{12}}},
       [](In x) {
         return batched_nms(boxes_from(x[0], x[1]), x[2], indices({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, {12}, x[0]), 0.3);
       },
       true, false},
      {"linear", {{{4, 3}}, {{5, 3}}, {{5}}}, [](In x) { return linear(x[0], x[1], x[2]); }},
      {"softmax", {{{3, 5}}}, [](In x) { return softmax(x[0] * 3.0, 1); }},
      {"log_softmax", {{{3, 5}}}, [](In x) { return log_softmax(x[0] * 3.0, -1); }},
      {"cross_entropy", {{{5, 4}}, {{4}, P, false}},
       [](In x) {
         Tensor target = indices({2, -1, 0, 3, 2}, {5}, x[0]);  // -1: ignored
         return cross_entropy(x[0] * 2.0, target, x[1]);
       }},
      {"binary_cross_entropy_with_logits", {{{3, 4}}, {{3, 4}, P}},
       [](In x) { return binary_cross_entropy_with_logits(x[0] * 3.0, x[1] - 0.5); }},
      {"binary_cross_entropy_with_logits_at_0", {{{3, 4}, Z}, {{3, 4}, P}},
       [](In x) { return binary_cross_entropy_with_logits(x[0], x[1] - 0.5); }},
      {"smooth_l1_loss", {{{4, 4}}, {{4, 4}}},
       [](In x) {
         Tensor fg = from_vector<double>({1, 0, 1, 1}, {4, 1}).to(x[0].dtype()).to(x[0].device());
         return smooth_l1_loss(x[0], x[1], 3.0, fg, 4.0);
       }},
      // zero-size dims: empty results, empty gradients (detection has images without boxes)
      {"softmax_no_rows", {{{0, 5}}}, [](In x) { return softmax(x[0], 1); }},
      {"log_softmax_no_rows", {{{0, 5}}}, [](In x) { return log_softmax(x[0], 1); }},
      {"max_dim_no_rows", {{{0, 5}}}, [](In x) { return max(x[0], {1}); }},
      {"sort_no_rows", {{{0, 5}}}, [](In x) { return sort(x[0], 1).values; }},
      {"topk_no_rows", {{{0, 5}}}, [](In x) { return topk(x[0], 2).values; }},
      {"gather_no_rows", {{{0, 3}}}, [](In x) { return gather(x[0], 1, indices({}, {0, 2}, x[0])); }},
      {"index_select_none", {{{4, 3}}}, [](In x) { return index_select(x[0], 0, indices({}, {0}, x[0])); }},
      {"sum_no_rows", {{{0, 3}}}, [](In x) { return sum(x[0], {0}); }},
      {"matmul_empty_inner", {{{2, 0}}, {{0, 3}}}, [](In x) { return matmul(x[0], x[1]); }},
      {"conv2d_no_images", {{{0, 2, 5, 5}}, {{3, 2, 3, 3}}, {{3}}}, [](In x) { return conv2d(x[0], x[1], x[2]); }},
      {"max_pool2d_no_images", {{{0, 2, 4, 4}}}, [](In x) { return max_pool2d(x[0]); }},
      {"linear_no_rows", {{{0, 3}}, {{5, 3}}, {{5}}}, [](In x) { return linear(x[0], x[1], x[2]); }},
      // PyTorch gives NaN for a loss over nothing; ours is 0 (layers/losses.h), so no reference
      {"cross_entropy_no_rows", {{{0, 4}}}, [](In x) { return cross_entropy(x[0], indices({}, {0}, x[0])); }, false},
      {"dropout",
       {{{4, 5}}},
       [](In x) {
         Generator gen(5);  // the same mask on every call, so finite differences see one function
         return dropout(x[0], 0.3, true, gen);
       },
       false},
  };
  return cases;
}

std::vector<Tensor> make_inputs_with_empty_dim(const OpCase& c, int64_t dim, uint64_t seed) {
  OpCase emptied = c;
  emptied.inputs[0].shape[dim] = 0;
  return make_inputs(emptied, seed);
}

std::vector<Tensor> make_inputs(const OpCase& c, uint64_t seed) {
  Generator gen(seed);
  std::vector<Tensor> inputs;
  for (const InputSpec& spec : c.inputs) {
    Tensor t = rand(spec.shape, gen, kFloat64);
    double* p = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (spec.domain == Domain::Positive)
        p[i] = 0.5 + p[i];
      else if (spec.domain == Domain::Zero)
        p[i] = 0;
      else
        p[i] = (p[i] < 0.5 ? -1 : 1) * (0.05 + 0.95 * std::abs(2 * p[i] - 1));
    }
    inputs.push_back(spec.differentiable ? t.requires_grad_() : t);
  }
  return inputs;
}

}  // namespace rcnn::testing
