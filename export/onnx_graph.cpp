#include "export/onnx_graph.h"

#include "core/error.h"

namespace rcnn::onnx_export {

namespace {

void set_shape(onnx::ValueInfoProto& info, onnx::TensorProto::DataType type, const std::vector<int64_t>& shape) {
  auto* tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(type);
  auto* dims = tensor->mutable_shape();
  for (int64_t d : shape) {
    if (d >= 0) {
      dims->add_dim()->set_dim_value(d);
    } else {
      dims->add_dim();  // unknown until run time
    }
  }
}

}  // namespace

std::string OnnxGraph::fresh(const std::string& what) {
  return (scope.empty() ? what : scope + "/" + what) + "_" + std::to_string(count_++);
}

std::vector<std::string> OnnxGraph::ops(const std::string& type, const std::vector<std::string>& inputs, int outputs,
                                        const std::vector<onnx::AttributeProto>& attributes) {
  onnx::NodeProto* node = graph_.add_node();
  node->set_op_type(type);
  node->set_name(fresh(type));
  for (const std::string& in : inputs) node->add_input(in);
  std::vector<std::string> names;
  for (int i = 0; i < outputs; ++i) {
    names.push_back(node->name() + (outputs == 1 ? "" : ":" + std::to_string(i)));
    node->add_output(names.back());
  }
  for (const onnx::AttributeProto& a : attributes) *node->add_attribute() = a;
  op_types.insert(type);
  return names;
}

std::string OnnxGraph::op(const std::string& type, const std::vector<std::string>& inputs,
                          const std::vector<onnx::AttributeProto>& attributes) {
  return ops(type, inputs, 1, attributes)[0];
}

std::string OnnxGraph::initializer(int type, const void* data, size_t bytes, const std::vector<int64_t>& shape) {
  onnx::TensorProto* t = graph_.add_initializer();
  t->set_name(fresh("constant"));
  t->set_data_type(type);
  for (int64_t d : shape) t->add_dims(d);
  t->set_raw_data(std::string(static_cast<const char*>(data), bytes));
  return t->name();
}

std::string OnnxGraph::floats(const std::vector<float>& values, const std::vector<int64_t>& shape) {
  return initializer(onnx::TensorProto::FLOAT, values.data(), values.size() * sizeof(float), shape);
}

std::string OnnxGraph::ints(const std::vector<int64_t>& values, const std::vector<int64_t>& shape) {
  return initializer(onnx::TensorProto::INT64, values.data(), values.size() * sizeof(int64_t), shape);
}

std::string OnnxGraph::constant(const Tensor& values) {
  const Tensor t = values.detach().cpu();
  if (is_floating(t.dtype())) return floats(t.to(kFloat32).to_vector<float>(), t.shape());
  return ints(t.to(kInt64).to_vector<int64_t>(), t.shape());
}

void OnnxGraph::input(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& shape) {
  onnx::ValueInfoProto* info = graph_.add_input();
  info->set_name(name);
  set_shape(*info, type, shape);
}

void OnnxGraph::output(const std::string& value, const std::string& name, onnx::TensorProto::DataType type,
                       const std::vector<int64_t>& shape) {
  // The rename to the output's name: not an op of the model, so not in op_types.
  onnx::NodeProto* node = graph_.add_node();
  node->set_op_type("Identity");
  node->set_name("output/" + name);
  node->add_input(value);
  node->add_output(name);
  onnx::ValueInfoProto* info = graph_.add_output();
  info->set_name(name);
  set_shape(*info, type, shape);
}

}  // namespace rcnn::onnx_export
