// roi_align and roi_pool: forward and backward side by side; kernels in detection/kernels/roi_align.cpp
// and roi_align.cu.
#include "detection/roi_pool.h"

#include "autograd/node.h"
#include "detection/boxes.h"
#include "detection/kernels/kernels.h"
#include "ops/checks.h"
#include "layers/pool2d.h"
#include "ops/index.h"

namespace rcnn {

namespace {

RoiGeometry geometry(const char* op, const Tensor& features, const Tensor& boxes, const Tensor& batch_index,
                     int64_t output_size, double spatial_scale) {
  check_floating(op, features);
  check(features.dim() == 4, op, ": features must be (N, C, H, W), got ", describe(features));
  check_boxes(op, boxes);
  check_same_kind(op, features, boxes);
  check_index(op, batch_index);
  check(batch_index.dim() == 1 && batch_index.size(0) == boxes.size(0) && batch_index.device() == boxes.device(),
        op, ": batch_index ", describe(batch_index), " must be (K) on the device of ", describe(boxes));
  check_index_range(op, batch_index, features.size(0));
  check(output_size >= 1 && spatial_scale > 0, op, ": output_size ", output_size, " and spatial_scale ",
        spatial_scale, " must be positive");
  return {features.size(0), features.size(1), features.size(2), features.size(3), boxes.size(0), output_size,
          output_size, spatial_scale, 0, false};
}

}  // namespace

// d y / d x: each bin's mean of bilinear samples is linear in x, so the gradient of a cell is the sum,
// over the samples that touch it, of the bin's gradient times the sample's weight / samples per bin.
Tensor roi_align(const Tensor& features, const Tensor& boxes, const Tensor& batch_index, const RoiAlignOptions& o) {
  RoiGeometry g = geometry("roi_align", features, boxes, batch_index, o.output_size, o.spatial_scale);
  check(o.sampling_ratio >= 0, "roi_align: sampling_ratio ", o.sampling_ratio, " must be >= 0 (0: adaptive)");
  g.sampling_ratio = o.sampling_ratio;
  g.aligned = o.aligned;
  Tensor y = Tensor::empty({g.K, g.C, g.out_h, g.out_w}, features.options());
  RCNN_KERNEL(features.device(), roi_align_forward, features, boxes, batch_index, g, y);
  if (should_record({&features}))
    record("roi_align", {features}, y,
           [boxes = boxes.detach(), batch_index, g, shape = features.shape()](const Tensor& gy) -> std::vector<Tensor> {
             Tensor gx = Tensor::empty(shape, gy.options());
             RCNN_KERNEL(gy.device(), roi_align_backward, gy, boxes, batch_index, g, gx);
             return {gx};
           });
  return y;
}

// d y / d x: each bin's gradient goes to the cell that was its maximum (none for an empty bin).
Tensor roi_pool(const Tensor& features, const Tensor& boxes, const Tensor& batch_index, const RoiPoolOptions& o) {
  const RoiGeometry g = geometry("roi_pool", features, boxes, batch_index, o.output_size, o.spatial_scale);
  Tensor y = Tensor::empty({g.K, g.C, g.out_h, g.out_w}, features.options());
  Tensor argmax = Tensor::empty(y.shape(), {kInt64, features.device()});
  RCNN_KERNEL(features.device(), roi_pool_forward, features, boxes, batch_index, g, y, argmax);
  if (should_record({&features}))
    record("roi_pool", {features}, y,
           [argmax, batch_index, g, shape = features.shape()](const Tensor& gy) -> std::vector<Tensor> {
             Tensor gx = Tensor::empty(shape, gy.options());
             RCNN_KERNEL(gy.device(), roi_pool_backward, gy, argmax, batch_index, g, gx);
             return {gx};
           });
  return y;
}

Tensor crop_and_resize(const Tensor& features, const Tensor& boxes, const Tensor& batch_index, int64_t size,
                       double spatial_scale) {
  return max_pool2d(roi_align(features, boxes, batch_index, {2 * size, spatial_scale, 1, false}), {2, 2, 0, false});
}

}  // namespace rcnn
