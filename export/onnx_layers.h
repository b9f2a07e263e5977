#pragma once
// The forward passes of the library's layers and backbones (layers/, models/) written as ONNX nodes,
// each beside nothing but the public members the library's own forward() reads. Convolutions followed
// by frozen batch norm become one convolution (the norm's scale folded into the weights, its shift
// into the bias: exact up to float rounding). A layer without an ONNX form is an error naming it.
#include <string>
#include <vector>

#include "export/onnx_graph.h"
#include "layers/module.h"
#include "models/backbone.h"

namespace rcnn::onnx_export {

// x: the layer's input value; `name`: the layer's parameter prefix ("backbone.features"), which names
// its nodes and errors. Returns the output value.
std::string export_layer(OnnxGraph& g, const Layer& layer, const std::string& x, const std::string& name);

// Backbone::forward_maps: the maps a detector reads, finest first. `maps`: the backbone's own maps of
// an image of the export's size, whose sizes a feature pyramid's upsampling goes to.
std::vector<std::string> export_maps(OnnxGraph& g, const models::Backbone& backbone, const std::string& x,
                                     const std::string& name, const std::vector<Tensor>& maps);

// upsample_nearest (layers/upsample.h) to a size known at export: a Gather per axis with the very source
// indices our kernels use (nearest_source), so no resize rounding can differ.
std::string export_upsample_nearest(OnnxGraph& g, const std::string& x, int64_t in_h, int64_t in_w, int64_t height,
                                     int64_t width);

}  // namespace rcnn::onnx_export
