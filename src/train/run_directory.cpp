#include "tandem/train/run_directory.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "tandem/core/error.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/metrics_file.hpp"

namespace tandem::train {
namespace {

void write_line(std::ofstream& jsonl, std::ofstream& csv, const std::string& line, const std::string& row) {
  jsonl << line << '\n';
  csv << row << '\n';
  jsonl.flush();
  csv.flush();
}

constexpr const char* kStepColumns[] = {"epoch",     "step", "batch",  "train_loss", "lr",
                                        "grad_norm", "gns",  "gns_g2", "gns_trace"};

// A steps.csv row: the columns above, empty where the line lacks one.
std::string step_csv_row(const std::string& line) {
  const auto v = parse_metrics_line(line);
  std::string row;
  for (const char* column : kStepColumns) {
    if (!row.empty() || column != kStepColumns[0]) row += ",";
    if (const auto it = v.find(column); it != v.end()) {
      char value[40];
      std::snprintf(value, sizeof value, "%.10g", it->second);
      row += value;
    }
  }
  return row;
}

std::string step_csv_header() {
  std::string h;
  for (const char* column : kStepColumns) h += (h.empty() ? "" : ",") + std::string(column);
  return h;
}

// The step of a checkpoint's file name "ckpt-STEP.h5"; -1 for any other name (the temporary
// file a checkpoint is written to before its rename, other files).
int64_t checkpoint_step(const std::string& name) {
  constexpr std::string_view prefix = "ckpt-", suffix = ".h5";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

}  // namespace

std::string checkpoint_path(const std::string& out, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "/ckpt-%08lld.h5", static_cast<long long>(step));
  return out + name;
}

std::string newest_checkpoint(const std::string& dir) {
  std::string newest;
  int64_t newest_step = -1;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const int64_t step = checkpoint_step(entry.path().filename().string());
    if (step > newest_step && entry.is_regular_file()) {
      newest_step = step;
      newest = entry.path().string();
    }
  }
  TANDEM_USAGE_CHECK(
      newest_step >= 0, "--resume '", dir,
      "' is a directory without a checkpoint (ckpt-STEP.h5); name a checkpoint file, or the --out "
      "directory of a run that wrote one (--checkpoint-every)");
  return newest;
}

RunDirectory::RunDirectory(std::string out, bool writer, int64_t keep_last)
    : out_(std::move(out)), active_(writer && !out_.empty()), keep_last_(keep_last) {}

void RunDirectory::open(const std::vector<std::string>& history, bool steps_log, int64_t resumed_step) {
  if (!active_) return;
  std::filesystem::create_directories(out_);
  metrics_.open(out_ + "/metrics.jsonl", std::ios::trunc);
  csv_.open(out_ + "/metrics.csv", std::ios::trunc);
  TANDEM_CHECK(metrics_.good() && csv_.good(), "cannot write metrics into '", out_, "'; check --out");
  csv_ << metrics_csv_header() << '\n';
  for (const auto& line : history) write_line(metrics_, csv_, line, metrics_csv_row(line));
  if (steps_log) {
    std::vector<std::string> kept;
    std::ifstream old(out_ + "/steps.jsonl");
    for (std::string line; std::getline(old, line);)
      if (resumed_step >= 0 && parse_metrics_line(line).at("step") <= static_cast<double>(resumed_step))
        kept.push_back(line);
    old.close();
    steps_.open(out_ + "/steps.jsonl", std::ios::trunc);
    steps_csv_.open(out_ + "/steps.csv", std::ios::trunc);
    steps_csv_ << step_csv_header() << "\n";
    for (const auto& line : kept) append_step(line);
  }
  // Checkpoints already in OUT (a resumed run) are rotated like new ones.
  for (const auto& entry : std::filesystem::directory_iterator(out_)) {
    if (checkpoint_step(entry.path().filename().string()) >= 0) kept_.push_back(entry.path().string());
  }
  std::sort(kept_.begin(), kept_.end(), [](const std::string& a, const std::string& b) {
    return checkpoint_step(std::filesystem::path(a).filename().string()) <
           checkpoint_step(std::filesystem::path(b).filename().string());
  });
}

void RunDirectory::append_metrics(const std::string& line) {
  if (metrics_.is_open()) write_line(metrics_, csv_, line, metrics_csv_row(line));
}

void RunDirectory::append_step(const std::string& line) {
  if (steps_.is_open()) write_line(steps_, steps_csv_, line, step_csv_row(line));
}

void RunDirectory::save_checkpoint(int64_t step, const std::function<void(const std::string&)>& write) {
  if (!active_) return;
  const std::string path = checkpoint_path(out_, step);
  write(path);
  if (kept_.empty() || kept_.back() != path) kept_.push_back(path);
  while (static_cast<int64_t>(kept_.size()) > keep_last_) {
    std::filesystem::remove(kept_.front());
    kept_.erase(kept_.begin());
  }
}

void RunDirectory::save_model(const std::string& name, model::Model& m,
                              const std::map<std::string, std::string>& config) {
  if (active_) io::save_model(out_ + "/" + name, m, config);
}

}  // namespace tandem::train
