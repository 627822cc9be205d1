#include "tandem/train/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tandem::train {
namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string clock_text(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const auto t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(t / 3600),
                  static_cast<long long>(t / 60 % 60), static_cast<long long>(t % 60));
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(t / 60),
                  static_cast<long long>(t % 60));
  return buf;
}

// The terminal's width: stderr's own, else $COLUMNS (the launch scripts export it, since a
// rank under mpirun writes into a pipe), else 100.
int terminal_columns() {
  winsize w{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 100;
}

}  // namespace

void ProgressDisplay::start(bool enabled, ProgressMode mode, double interval_s) {
  enabled_ = enabled && mode != ProgressMode::kNone;
  tty_ = enabled_ && (mode == ProgressMode::kBar || (mode == ProgressMode::kAuto && ::isatty(STDERR_FILENO)));
  interval_ = interval_s;
  if (tty_) columns_ = terminal_columns();
}

void ProgressDisplay::begin_epoch(int64_t epoch, int64_t epochs, int64_t steps, int64_t first_step) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  first_step_ = first_step;
  epoch_start_ = last_draw_ = now();
}

std::string ProgressDisplay::bar(int64_t epoch, int64_t epochs, int64_t step, int64_t steps,
                                 double samples_per_s, double loss, double eta_s, int width) {
  const double frac = steps > 0 ? static_cast<double>(step) / static_cast<double>(steps) : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::string b(static_cast<size_t>(width), ' ');
  for (int i = 0; i < filled && i < width; ++i) b[static_cast<size_t>(i)] = '=';
  if (filled < width) b[static_cast<size_t>(filled)] = '>';
  char buf[256];
  std::snprintf(buf, sizeof buf, "epoch %lld/%lld [%s] %lld/%lld  %.0f samples/s  loss %.4f  ETA %s",
                static_cast<long long>(epoch), static_cast<long long>(epochs), b.c_str(),
                static_cast<long long>(step), static_cast<long long>(steps), samples_per_s, loss,
                clock_text(eta_s).c_str());
  return buf;
}

std::string ProgressDisplay::fit(int64_t epoch, int64_t epochs, int64_t step, int64_t steps,
                                 double samples_per_s, double loss, double eta_s, int columns) {
  const int room = columns - 1;  // the last column would wrap on some terminals
  const auto rest = static_cast<int>(bar(epoch, epochs, step, steps, samples_per_s, loss, eta_s, 0).size());
  std::string text =
      bar(epoch, epochs, step, steps, samples_per_s, loss, eta_s, std::clamp(room - rest, 10, 30));
  if (static_cast<int>(text.size()) > room) text.resize(static_cast<size_t>(std::max(room, 0)));
  return text;
}

void ProgressDisplay::update(int64_t step, double samples_per_s, double loss) {
  if (!enabled_) return;
  const double t = now();
  if (t - last_draw_ < (tty_ ? 0.2 : interval_) && step < steps_) return;
  last_draw_ = t;
  const double rate = (t - epoch_start_) / static_cast<double>(std::max<int64_t>(1, step - first_step_));
  const double eta = rate * static_cast<double>(steps_ - step);
  const std::string text = tty_ ? fit(epoch_, epochs_, step, steps_, samples_per_s, loss, eta, columns_)
                                : bar(epoch_, epochs_, step, steps_, samples_per_s, loss, eta, 30);
  if (tty_)
    std::fprintf(stderr, "\r%s\033[K", text.c_str());
  else if (step < steps_)
    std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

void ProgressDisplay::end_epoch() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace tandem::train
