#include "datasets/loader.h"

#include <algorithm>
#include <cmath>

#include "datasets/batches.h"

namespace rcnn {

Sample prepare_sample(const Annotation& item, const LoaderOptions& options, bool flip) {
  Image image = load_image(item.image_path);
  check(image.width == item.width && image.height == item.height, "loader: ", item.image_path, " is ", image.width,
        "x", image.height, " but its annotation says ", item.width, "x", item.height);
  return prepare_image(item, std::move(image), options, flip);
}

Sample prepare_image(const Annotation& item, Image image, const LoaderOptions& options, bool flip) {
  Sample s;
  s.id = item.id;
  s.original_width = image.width;
  s.original_height = image.height;
  s.scale = resize_scale(image.width, image.height, options.shorter_side, options.longer_side);
  // At least a pixel each way: a 600 x 1 strip scaled to a longer side of 256 is 256 x 1, not 256 x 0.
  const int w = std::max(1, static_cast<int>(std::lround(image.width * s.scale)));
  const int h = std::max(1, static_cast<int>(std::lround(image.height * s.scale)));
  image = resize_bilinear(image, w, h);
  s.flipped = flip;
  if (flip) image = flip_horizontal(image);
  for (const Object& o : item.objects) {
    Box b = flip ? flip_box(o.box, item.width) : o.box;
    s.boxes.push_back(scale_box(b, s.scale));
    s.labels.push_back(o.label);
    s.difficult.push_back(o.difficult);
  }
  s.image = normalize(image, options.mean, options.std);
  return s;
}

Loader::Loader(const Dataset& data, LoaderOptions options) : data_(data), options_(options) {
  check(options.queue_size > 0, "Loader: queue size must be positive");
}

Loader::~Loader() { stop_worker(); }

void Loader::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
  queue_.clear();
  error_ = nullptr;
}

void Loader::start_epoch(int64_t epoch) {
  const int64_t n = static_cast<int64_t>(data_.items.size());
  start(epoch * n, 1, (epoch + 1) * n);
}

void Loader::start_stream(int64_t first, int64_t stride) {
  check(first >= 0 && stride >= 1, "Loader::start_stream: first ", first, ", stride ", stride);
  start(first, stride, -1);
}

void Loader::start(int64_t first, int64_t stride, int64_t end) {
  stop_worker();
  remaining_ = end < 0 ? -1 : (end - first + stride - 1) / stride;
  worker_ = std::thread(&Loader::work, this, first, stride, end);
}

void Loader::work(int64_t first, int64_t stride, int64_t end) {
  const int64_t n = static_cast<int64_t>(data_.items.size());
  int64_t epoch = -1;
  std::vector<int64_t> order;
  std::vector<bool> flips;
  for (int64_t position = first; end < 0 || position < end; position += stride) {
    if (position / n != epoch) {
      // Everything random about an epoch comes from (seed, epoch) alone.
      epoch = position / n;
      Generator gen(options_.seed * 1000003 + static_cast<uint64_t>(epoch));
      order = epoch_order(n, options_.shuffle, gen);
      flips.assign(n, false);
      for (int64_t i = 0; i < n; ++i) flips[i] = options_.flip && gen.uniform() < 0.5;
    }
    const int64_t index = order[position % n];
    Sample s;
    try {
      s = prepare_sample(data_.items[index], options_, flips[position % n]);
    } catch (const std::exception& e) {
      if (options_.skip_unreadable) {
        s = Sample{};
        s.id = data_.items[index].id;
        s.error = e.what();
      } else {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
        changed_.notify_all();
        return;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    s.position = position;
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return stopping_ || queue_.size() < options_.queue_size; });
    if (stopping_) return;
    queue_.push_back(std::move(s));
    changed_.notify_all();
  }
}

bool Loader::next(Sample& sample) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (remaining_ == 0) return false;
  check(worker_.joinable(), "Loader::next: call start_epoch() first");
  changed_.wait(lock, [&] { return !queue_.empty() || error_; });
  if (queue_.empty() && error_) std::rethrow_exception(error_);
  sample = std::move(queue_.front());
  queue_.pop_front();
  if (remaining_ > 0) --remaining_;
  changed_.notify_all();
  return true;
}

}  // namespace rcnn
