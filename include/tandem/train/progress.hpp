#pragma once
// Rank 0's progress display: a live bar redrawn in place when stderr is a terminal, periodic
// plain lines when it is not (log files, batch jobs).
#include <cstdint>
#include <string>

namespace tandem::train {

class ProgressDisplay {
 public:
  // enabled: this rank displays (rank 0); interval_s: seconds between plain lines.
  void start(bool enabled, double interval_s = 30.0);
  void begin_epoch(int64_t epoch, int64_t epochs, int64_t steps, int64_t first_step);
  // After each step: steps done in the epoch, samples/s, mean loss so far.
  void update(int64_t step, double samples_per_s, double loss);
  void end_epoch();  // clears the bar before the epoch line is printed
  // The bar's text, exposed for tests.
  static std::string bar(int64_t epoch, int64_t epochs, int64_t step, int64_t steps, double samples_per_s,
                         double loss, double eta_s, int width);

 private:
  bool enabled_ = false, tty_ = false;
  double interval_ = 30, last_draw_ = 0, epoch_start_ = 0;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0, first_step_ = 0;
};

}  // namespace tandem::train
