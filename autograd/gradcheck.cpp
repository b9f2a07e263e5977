#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/grad_mode.h"
#include "core/rng.h"

namespace rcnn {

namespace {

// sum(y * w) without recording, for the numerical side.
double weighted_sum(const Tensor& y, const std::vector<double>& w) {
  std::vector<double> v = y.to_vector<double>();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
  return s;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, GradcheckOptions opt) {
  std::vector<Tensor> xs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (in.requires_grad())
      check(in.dtype() == kFloat64 && !in.is_cuda(), "gradcheck: input ", i,
            " must be a float64 CPU tensor, it is ", dtype_name(in.dtype()), " on ", in.device().str());
    Tensor x = in.clone();
    if (in.requires_grad()) x.requires_grad_();
    xs.push_back(x);
  }

  Tensor y = f(xs);
  Generator gen(1234);
  std::vector<double> w(y.numel());
  for (double& v : w) v = gen.uniform() * 2 - 1;
  Tensor weights = from_vector(w, y.shape()).to(y.dtype());
  // dL/dy = w, so backward(w) yields dL/dx.
  y.backward(weights);

  GradcheckResult result;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].requires_grad()) continue;
    Tensor analytic = xs[i].grad();
    std::vector<double> received =
        analytic.defined() ? analytic.to_vector<double>() : std::vector<double>(xs[i].numel(), 0.0);
    double* x = xs[i].data<double>();
    NoGradGuard no_grad;
    for (int64_t k = 0; k < xs[i].numel(); ++k) {
      const double saved = x[k];
      x[k] = saved + opt.eps;
      double up = weighted_sum(f(xs), w);
      x[k] = saved - opt.eps;
      double down = weighted_sum(f(xs), w);
      x[k] = saved;
      double expected = (up - down) / (2 * opt.eps);
      if (!(std::abs(expected - received[k]) <= opt.atol + opt.rtol * std::abs(expected))) {
        std::ostringstream os;
        os.precision(10);
        os << "gradcheck: input " << i << " " << shape_str(xs[i].shape()) << ", flat index " << k
           << ": expected (finite differences) " << expected << ", received (backward) " << received[k];
        return {false, os.str()};
      }
    }
  }
  return result;
}

}  // namespace rcnn
