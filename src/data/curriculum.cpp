#include "tandem/data/curriculum.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::data {

double CurriculumSchedule::fraction(int64_t epoch) const {
  if (pace == CurriculumPace::kOff || epoch >= epochs) return 1.0;
  if (pace == CurriculumPace::kLinear)
    return start + (1.0 - start) * static_cast<double>(epoch) / static_cast<double>(epochs);
  // step: k doublings at epochs ceil(j E / k), j = 1..k; the last one reaches 1 at E.
  const auto k = static_cast<int64_t>(std::ceil(std::log2(1.0 / start) - 1e-12));
  if (k <= 0) return 1.0;
  const int64_t level = epoch * k / epochs;
  return std::min(1.0, start * std::ldexp(1.0, static_cast<int>(level)));
}

int64_t CurriculumSchedule::available(int64_t epoch, int64_t n) const {
  if (n == 0) return 0;
  // Rounded up, with a little slack so that 0.3 x 10 is 3 and not 4.
  const auto count = static_cast<int64_t>(std::ceil(fraction(epoch) * static_cast<double>(n) - 1e-9));
  return std::clamp<int64_t>(count, 1, n);
}

void validate(const CurriculumSchedule& s) {
  if (s.pace == CurriculumPace::kOff) return;
  TANDEM_USAGE_CHECK(s.start > 0 && s.start <= 1, "--curriculum-start must be in (0, 1], got ", s.start);
  TANDEM_USAGE_CHECK(s.epochs >= 1, "--curriculum-epochs must be >= 1, got ", s.epochs);
}

Curriculum::Curriculum(std::span<const int32_t> labels, std::span<const float> difficulty,
                       CurriculumSchedule schedule)
    : schedule_(schedule) {
  TANDEM_CHECK(labels.size() == difficulty.size(), "curriculum: ", labels.size(), " labels but ",
               difficulty.size(), " difficulties");
  int32_t top = -1;
  for (int32_t y : labels) top = std::max(top, y);
  ranked_.resize(static_cast<size_t>(top + 1));
  for (size_t i = 0; i < labels.size(); ++i) ranked_[labels[i]].push_back(static_cast<int64_t>(i));
  for (auto& ids : ranked_)  // ids are in increasing order: a stable sort breaks ties by id
    std::stable_sort(ids.begin(), ids.end(),
                     [&](int64_t a, int64_t b) { return difficulty[a] < difficulty[b]; });
}

std::vector<int64_t> Curriculum::class_sizes(int64_t epoch) const {
  std::vector<int64_t> sizes(ranked_.size());
  for (size_t c = 0; c < ranked_.size(); ++c)
    sizes[c] = schedule_.available(epoch, static_cast<int64_t>(ranked_[c].size()));
  return sizes;
}

int64_t Curriculum::available(int64_t epoch) const {
  int64_t total = 0;
  for (int64_t n : class_sizes(epoch)) total += n;
  return total;
}

void check_difficulty(std::span<const float> difficulty, int64_t rows, const std::string& where) {
  TANDEM_USAGE_CHECK(static_cast<int64_t>(difficulty.size()) == rows, where, " holds ", difficulty.size(),
                     " difficulties but the training split has ", rows,
                     " samples; write it for this dataset (tandem predict --split train --per-sample-loss)");
  for (size_t i = 0; i < difficulty.size(); ++i)
    TANDEM_USAGE_CHECK(std::isfinite(difficulty[i]), where, ": the difficulty of sample ", i, " is ",
                       difficulty[i], "; every sample needs a finite difficulty");
}

std::vector<float> read_difficulty(const std::string& path, const std::string& split, int64_t rows,
                                   bool all_rows) {
  const std::string name = "/" + split + "/difficulty", where = "'" + path + "':" + name;
  io::H5File f(path, io::H5File::Mode::kRead);
  TANDEM_USAGE_CHECK(f.exists(name) && !f.is_group(name),
                     "--curriculum needs a difficulty per training sample, but '", path, "' has no ", name,
                     "; write one with 'tandem predict --checkpoint MODEL.h5 --data DATA.h5 --split ", split,
                     " --per-sample-loss --out FILE.h5' and pass --difficulty FILE.h5");
  const auto info = f.info(name);
  TANDEM_USAGE_CHECK(
      info.dims.size() == 1 && (info.type == io::DType::kFloat32 || info.type == io::DType::kFloat64), where,
      " must be a one-dimensional float32 or float64 array (one value per sample)");
  const int64_t n = info.dims[0];
  TANDEM_USAGE_CHECK(
      n >= rows && (!all_rows || n == rows), where, " holds ", n, " difficulties but the training split has ",
      rows, " samples; write it for this dataset (tandem predict --split ", split, " --per-sample-loss)");
  std::vector<float> out(static_cast<size_t>(rows));
  if (info.type == io::DType::kFloat32) {
    f.read(name, out.data(), 0, rows);
  } else {
    std::vector<double> wide(static_cast<size_t>(rows));
    f.read(name, wide.data(), 0, rows);
    std::copy(wide.begin(), wide.end(), out.begin());
  }
  check_difficulty(out, rows, where);
  return out;
}

}  // namespace tandem::data
