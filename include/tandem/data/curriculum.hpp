#pragma once
// Curriculum learning (Bengio et al. 2009): easy samples first, harder ones added over time.
// Every training sample has a difficulty (one float: lower is easier, e.g. the loss a trained
// model gives it, `tandem predict --per-sample-loss`). Within each class the samples are ranked
// by difficulty, ties by index; in epoch e (0-based) the sampler uses only the easiest
// ceil(f(e) n_c) samples of each class c of n_c, where f grows from --curriculum-start F at
// epoch 0 to 1 at epoch --curriculum-epochs E:
//   linear: f(e) = F + (1 - F) e / E                                  (1 from epoch E on)
//   step:   f(e) = min(1, F 2^floor(e k / E)), k = ceil(log2(1 / F))   (doubles k times,
//           at epochs ceil(j E / k), j = 1..k; with E < k several at once)
// The available sets grow (each holds the previous one) and depend on the labels, the
// difficulties and the epoch only: not on the number of ranks.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"

namespace tandem::data {

// How the available fraction grows (--curriculum).
enum class CurriculumPace { kOff, kLinear, kStep };
inline constexpr EnumName<CurriculumPace> kCurriculumPaceNames[] = {
    {CurriculumPace::kOff, "off", "every sample in every epoch"},
    {CurriculumPace::kLinear, "linear", "the easiest fraction F + (1 - F) e / E of each class in epoch e"},
    {CurriculumPace::kStep, "step", "F, doubled ceil(log2(1/F)) times at evenly spaced epochs up to E"},
};
constexpr std::span<const EnumName<CurriculumPace>> enum_names(CurriculumPace) {
  return kCurriculumPaceNames;
}

struct CurriculumSchedule {
  CurriculumPace pace = CurriculumPace::kOff;
  double start = 0.25;  // F: the fraction of each class available in epoch 0, in (0, 1]
  int64_t epochs = 5;   // E: every sample available from epoch E (0-based) on
  // f(epoch) in [start, 1]; 1 when off.
  double fraction(int64_t epoch) const;
  // The samples of a class of n available in `epoch`: ceil(f n), at least one of a non-empty class.
  int64_t available(int64_t epoch, int64_t n) const;
};

// UsageError naming the option when F is not in (0, 1] or E < 1.
void validate(const CurriculumSchedule& s);

class Curriculum {
 public:
  // labels and difficulty: one per training sample (check_difficulty first).
  Curriculum(std::span<const int32_t> labels, std::span<const float> difficulty, CurriculumSchedule schedule);

  const CurriculumSchedule& schedule() const { return schedule_; }
  int64_t classes() const { return static_cast<int64_t>(ranked_.size()); }
  // Class c's sample ids, easiest first (ties: the lower id first).
  const std::vector<int64_t>& ranked(int64_t c) const { return ranked_[c]; }
  // Available samples of each class in `epoch` [classes], and their total.
  std::vector<int64_t> class_sizes(int64_t epoch) const;
  int64_t available(int64_t epoch) const;

 private:
  CurriculumSchedule schedule_;
  std::vector<std::vector<int64_t>> ranked_;
};

// UsageError unless difficulty holds `rows` finite values; `where` names the array
// ("f.h5:/train/difficulty").
void check_difficulty(std::span<const float> difficulty, int64_t rows, const std::string& where);

// /SPLIT/difficulty of an HDF5 file: float32 or float64, one value per row of the split, of
// which the first `rows` are returned (the split as loaded, with --train-limit). UsageError
// when the array is missing, too short (or, with all_rows, longer), or not finite.
std::vector<float> read_difficulty(const std::string& path, const std::string& split, int64_t rows,
                                   bool all_rows);

}  // namespace tandem::data
