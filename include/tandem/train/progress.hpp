#pragma once
// Rank 0's progress display: a live bar redrawn in place, or periodic plain lines (log files,
// batch jobs). Under mpirun a rank's stderr is a pipe even when mpirun's is a terminal, so
// `auto` cannot see the terminal there; the launch scripts ask for `bar` instead.
#include <cstdint>
#include <span>
#include <string>

#include "tandem/core/enum_names.hpp"

namespace tandem::train {

enum class ProgressMode { kAuto, kBar, kLines, kNone };
inline constexpr EnumName<ProgressMode> kProgressModeNames[] = {
    {ProgressMode::kAuto, "auto", "the bar when stderr is a terminal, else lines"},
    {ProgressMode::kBar, "bar", "a bar redrawn in place even when stderr is a pipe (mpirun in a terminal)"},
    {ProgressMode::kLines, "lines", "a plain line every 30 s"},
    {ProgressMode::kNone, "none", "only the line per epoch"},
};
constexpr std::span<const EnumName<ProgressMode>> enum_names(ProgressMode) {
  return kProgressModeNames;
}

class ProgressDisplay {
 public:
  // enabled: this rank displays (rank 0); interval_s: seconds between plain lines.
  void start(bool enabled, ProgressMode mode = ProgressMode::kAuto, double interval_s = 30.0);
  void begin_epoch(int64_t epoch, int64_t epochs, int64_t steps, int64_t first_step);
  // After each step: steps done in the epoch, samples/s, mean loss so far.
  void update(int64_t step, double samples_per_s, double loss);
  void end_epoch();  // clears the bar before the epoch line is printed
  // The bar's text, exposed for tests.
  static std::string bar(int64_t epoch, int64_t epochs, int64_t step, int64_t steps, double samples_per_s,
                         double loss, double eta_s, int width);
  // The bar's text for a line of `columns` characters: the bar shrinks (to 10 at least), then
  // the text is cut, so redrawing with \r never wraps.
  static std::string fit(int64_t epoch, int64_t epochs, int64_t step, int64_t steps, double samples_per_s,
                         double loss, double eta_s, int columns);

 private:
  bool enabled_ = false, tty_ = false;
  double interval_ = 30, last_draw_ = 0, epoch_start_ = 0;
  int columns_ = 100;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0, first_step_ = 0;
};

}  // namespace tandem::train
