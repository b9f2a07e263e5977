#pragma once
// A small builder over ONNX's own protobuf classes (Debian's libonnx-dev): a value is its name, each
// op appends one NodeProto named after the layer it comes from (so the checker's errors name the
// layer), each constant one initializer. It knows nothing of detectors.
#include <onnx/defs/attr_proto_util.h>
#include <onnx/onnx_pb.h>

#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace rcnn::onnx_export {

using onnx::MakeAttribute;  // attributes: MakeAttribute("strides", std::vector<int64_t>{2, 2})

class OnnxGraph {
 public:
  explicit OnnxGraph(onnx::GraphProto& graph) : graph_(graph) {}

  // One op; its output's name (its only output, or each of `outputs` many).
  std::string op(const std::string& type, const std::vector<std::string>& inputs,
                 const std::vector<onnx::AttributeProto>& attributes = {});
  std::vector<std::string> ops(const std::string& type, const std::vector<std::string>& inputs, int outputs,
                               const std::vector<onnx::AttributeProto>& attributes = {});

  // Constants (initializers): a tensor's values as float32 (float tensors) or int64 (integer ones).
  std::string constant(const Tensor& values);
  std::string floats(const std::vector<float>& values, const std::vector<int64_t>& shape);
  std::string ints(const std::vector<int64_t>& values, const std::vector<int64_t>& shape);
  std::string scalar(float value) { return floats({value}, {}); }
  std::string ints(const std::vector<int64_t>& values) { return ints(values, {static_cast<int64_t>(values.size())}); }

  // The graph's inputs and outputs, with their element type and shape (-1: a dimension known at run time).
  void input(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& shape);
  void output(const std::string& value, const std::string& name, onnx::TensorProto::DataType type,
              const std::vector<int64_t>& shape);

  // Where the nodes made next come from ("backbone.features.3"); it names them.
  std::string scope;
  // Every op type used, for the summary and docs/export.md.
  std::set<std::string> op_types;

 private:
  std::string fresh(const std::string& what);
  // An initializer of ONNX element type `type` (raw little-endian bytes, as ONNX stores them).
  std::string initializer(int type, const void* data, size_t bytes, const std::vector<int64_t>& shape);
  onnx::GraphProto& graph_;
  int64_t count_ = 0;
};

}  // namespace rcnn::onnx_export
