#pragma once
// The image transforms of Faster R-CNN's input pipeline (docs/defaults.md): resize so the shorter side is S
// and the longer at most M (bilinear), horizontal flip of image and boxes, mean/std normalisation into
// a (3, H, W) tensor, and the scale that maps detections back to the original image.
#include <array>
#include <vector>

#include "core/tensor.h"
#include "datasets/annotation.h"
#include "datasets/image.h"

namespace rcnn {

// The factor that brings the shorter side to `shorter` unless the longer would exceed `longer`
// (py-faster-rcnn's prep_im_for_blob).
float resize_scale(int width, int height, int shorter, int longer);

// Bilinear, sampling at pixel centres (half-pixel offsets), as PyTorch's align_corners=False.
Image resize_bilinear(const Image& image, int width, int height);

// Mirror left-right. A box [x1, x2) becomes [W - x2, W - x1): exact in continuous coordinates.
Image flip_horizontal(const Image& image);
Box flip_box(const Box& box, int image_width);

Box scale_box(const Box& box, float scale);  // multiply every coordinate by scale

// An annotation's objects as the detector takes them: boxes (G, 4) float32 and class labels int64 (G).
Tensor boxes_tensor(const Annotation& annotation);
Tensor boxes_tensor(const std::vector<Box>& boxes);
Tensor labels_tensor(const Annotation& annotation);
// And back: the rows of a (N, 4) box tensor (on any device) as Boxes, for drawing and records.
std::vector<Box> box_list(const Tensor& boxes);

// (3, H, W) float tensor in [0, 1] from an image (HWC -> CHW), and back (values clamped to [0, 1]).
Tensor image_to_tensor(const Image& image);
// t: (H, W) or (1, H, W) grey, or (3, H, W) RGB. With normalize, the tensor's range is stretched to
// [0, 255] (for feature maps); otherwise [0, 1] maps to [0, 255].
Image tensor_to_image(const Tensor& t, bool normalize = false);

// (3, H, W) float32: (rgb / 255 - mean) / std per channel. ImageNet's torchvision statistics by default.
constexpr std::array<float, 3> kImageNetMean = {0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImageNetStd = {0.229f, 0.224f, 0.225f};
Tensor normalize(const Image& image, const std::array<float, 3>& mean = kImageNetMean,
                 const std::array<float, 3>& std = kImageNetStd);

// torchvision's ImageNet classification input: shorter side to `resize` (bilinear), the centre `crop` x
// `crop`, normalised -> (3, crop, crop).
Tensor imagenet_input(const Image& image, int resize = 256, int crop = 224);

}  // namespace rcnn
