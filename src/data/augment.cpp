#include "tandem/data/augment.hpp"

#include <algorithm>
#include <sstream>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::data {

std::string AugmentConfig::str() const {
  std::vector<std::string> items;
  auto num = [](double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  if (flip) items.push_back("flip");
  if (crop_pad > 0) items.push_back("crop:" + std::to_string(crop_pad));
  if (brightness > 0) items.push_back("brightness:" + num(brightness));
  if (contrast > 0) items.push_back("contrast:" + num(contrast));
  if (tint > 0) items.push_back("tint:" + num(tint));
  return items.empty() ? "none" : join(items, ",");
}

AugmentConfig parse_augment(const std::string& text) {
  AugmentConfig c;
  if (text.empty() || text == "none") return c;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto colon = item.find(':');
    const std::string name = item.substr(0, colon);
    const std::string arg = colon == std::string::npos ? "" : item.substr(colon + 1);
    const std::string where = "--augment item '" + item + "'";
    auto amount = [&](double max) {
      TANDEM_USAGE_CHECK(!arg.empty(), where, " needs an amount, e.g. '", name, ":0.2'");
      const double v = parse_double(arg, where);
      TANDEM_USAGE_CHECK(v > 0 && v <= max, where, ": the amount must be in (0, ", max, "]");
      return v;
    };
    if (name == "flip" && arg.empty()) {
      c.flip = true;
    } else if (name == "crop") {
      TANDEM_USAGE_CHECK(!arg.empty(), where, " needs the padding in pixels, e.g. 'crop:4'");
      c.crop_pad = parse_int(arg, where);
      TANDEM_USAGE_CHECK(c.crop_pad > 0, where, ": the padding must be positive");
    } else if (name == "brightness") {
      c.brightness = amount(1e9);
    } else if (name == "contrast") {
      c.contrast = amount(1.0);
    } else if (name == "tint") {
      c.tint = amount(1e9);
    } else {
      throw UsageError("unknown " + where +
                       "; use a comma list of flip, crop:PIXELS, brightness:B, contrast:C, tint:T (or none)");
    }
  }
  return c;
}

Augmenter::Augmenter(const AugmentConfig& config, const Shape& sample, uint64_t seed)
    : config_(config), seed_(seed) {
  const bool spatial = config.flip || config.crop_pad > 0 || config.tint > 0;
  TANDEM_USAGE_CHECK(!spatial || sample.rank() == 3, "--augment ", config.str(),
                     ": flip, crop and tint need image samples [C, H, W], these are ", sample.str(),
                     "; use brightness and contrast only");
  if (sample.rank() == 3) {
    channels_ = sample[0];
    height_ = sample[1];
    width_ = sample[2];
  } else {
    width_ = sample.numel();
  }
  copy_.resize(static_cast<size_t>(sample.numel()));
}

void Augmenter::apply(float* x, const int64_t* ids, int64_t n, uint32_t epoch) {
  if (!active()) return;
  const int64_t numel = channels_ * height_ * width_;
  for (int64_t i = 0; i < n; ++i) augment_one(x + i * numel, ids[i], epoch);
}

void Augmenter::augment_one(float* x, int64_t id, uint32_t epoch) {
  // One stream per (seed, epoch, sample); the draws below are taken in a fixed order.
  Philox rng(seed_, RngPurpose::kAugment, epoch, static_cast<uint32_t>(id), static_cast<uint32_t>(id >> 32));
  const int64_t plane = height_ * width_, numel = channels_ * plane;
  const bool flip = config_.flip && rng.uniform() < 0.5f;
  const int64_t span = 2 * config_.crop_pad + 1;
  const int64_t dy = config_.crop_pad > 0 ? static_cast<int64_t>(rng.below(span)) - config_.crop_pad : 0;
  const int64_t dx = config_.crop_pad > 0 ? static_cast<int64_t>(rng.below(span)) - config_.crop_pad : 0;
  if (flip || dy != 0 || dx != 0) {
    // out(y, x) = in(y + dy, flip ? W-1-(x + dx) : x + dx), zero outside: a crop of the padded
    // image at offset (P + dy, P + dx), flipped after cropping.
    std::copy(x, x + numel, copy_.begin());
    for (int64_t c = 0; c < channels_; ++c)
      for (int64_t y = 0; y < height_; ++y)
        for (int64_t col = 0; col < width_; ++col) {
          const int64_t sy = y + dy, sx = (flip ? width_ - 1 - col : col) + dx;
          const bool inside = sy >= 0 && sy < height_ && sx >= 0 && sx < width_;
          x[c * plane + y * width_ + col] = inside ? copy_[c * plane + sy * width_ + sx] : 0.0f;
        }
  }
  if (config_.contrast > 0) {
    const float factor = 1.0f + static_cast<float>(config_.contrast) * (2.0f * rng.uniform() - 1.0f);
    double mean = 0;
    for (int64_t i = 0; i < numel; ++i) mean += x[i];
    const auto m = static_cast<float>(mean / static_cast<double>(numel));
    for (int64_t i = 0; i < numel; ++i) x[i] = m + factor * (x[i] - m);
  }
  if (config_.brightness > 0) {
    const float delta = static_cast<float>(config_.brightness) * (2.0f * rng.uniform() - 1.0f);
    for (int64_t i = 0; i < numel; ++i) x[i] += delta;
  }
  if (config_.tint > 0)
    for (int64_t c = 0; c < channels_; ++c) {
      const float delta = static_cast<float>(config_.tint) * (2.0f * rng.uniform() - 1.0f);
      for (int64_t i = 0; i < plane; ++i) x[c * plane + i] += delta;
    }
}

}  // namespace tandem::data
