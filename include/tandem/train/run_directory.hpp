#pragma once
// The output directory of a run (--out). Rank 0 writes; on other ranks, and without --out,
// every call does nothing. It holds:
//   metrics.jsonl, metrics.csv   one line per epoch, rewritten from the history at start, so
//                                that a resumed run's files match its checkpoint exactly
//   steps.jsonl, steps.csv       --log-every-steps lines (a resumed run keeps those up to its step)
//   ckpt-STEP.h5                 checkpoints, the newest --keep-last kept
//   best.h5, final.h5            model files
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tandem/model/model.hpp"

namespace tandem::train {

// OUT/ckpt-STEP.h5: the checkpoint of global step `step` in run directory `out`.
std::string checkpoint_path(const std::string& out, int64_t step);
// The checkpoint of the highest step in run directory `dir` (what `--resume DIR` continues);
// UsageError naming the directory when it holds none.
std::string newest_checkpoint(const std::string& dir);

class RunDirectory {
 public:
  // writer: this rank writes (rank 0); keep_last: checkpoints kept.
  RunDirectory(std::string out, bool writer, int64_t keep_last);
  bool active() const { return active_; }

  // Creates the directory and rewrites the metrics files from `history`. With steps_log, opens
  // the step files keeping the lines up to `resumed_step` (none when starting afresh: -1).
  void open(const std::vector<std::string>& history, bool steps_log, int64_t resumed_step);
  void append_metrics(const std::string& json_line);
  void append_step(const std::string& json_line);

  // Writes OUT/ckpt-STEP.h5 through write(path) and removes the oldest beyond --keep-last.
  void save_checkpoint(int64_t step, const std::function<void(const std::string& path)>& write);
  // The newest checkpoint in OUT ("" if none).
  std::string last_checkpoint() const { return kept_.empty() ? std::string() : kept_.back(); }
  // OUT/NAME as a model file (best.h5, final.h5).
  void save_model(const std::string& name, model::Model& m, const std::map<std::string, std::string>& config);

 private:
  std::string out_;
  bool active_;
  int64_t keep_last_;
  std::ofstream metrics_, csv_, steps_, steps_csv_;
  std::vector<std::string> kept_;  // checkpoints in OUT, oldest first
};

}  // namespace tandem::train
