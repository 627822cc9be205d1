#include "tandem/train/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/core/line_fit.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/optim/schedule.hpp"
#include "tandem/train/interrupt.hpp"
#include "tandem/train/metrics_file.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::train {
namespace {

// The text of a "key": "value" field of a flat JSON line ("" if absent).
std::string string_field(const std::string& line, const std::string& key) {
  const std::string opening = "\"" + key + "\": \"";
  const auto start = line.find(opening);
  if (start == std::string::npos) return "";
  const auto begin = start + opening.size();
  return line.substr(begin, line.find('"', begin) - begin);
}

// Rank 0's string on every rank.
std::string broadcast_string(std::string s, dist::Comm& comm) {
  int64_t n = static_cast<int64_t>(s.size());
  comm.broadcast(&n, sizeof n, 0);
  s.resize(static_cast<size_t>(n));
  if (n > 0) comm.broadcast(s.data(), n, 0);
  return s;
}

// The finished runs of OUT/sweep.jsonl, by key (rank 0).
std::map<std::string, SweepRecord> finished_runs(const std::string& path) {
  std::map<std::string, SweepRecord> runs;
  for (auto& r : read_sweep_file(path)) runs[r.key()] = r;
  return runs;
}

// The newest checkpoint in dir ("" if none): where a run cut short resumes.
std::string newest_checkpoint(const std::string& dir) {
  std::string newest;
  if (!std::filesystem::is_directory(dir)) return newest;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && entry.path().extension() == ".h5")
      newest = std::max(newest, entry.path().string());
  }
  return newest;
}

// OUT/options: the options every run of the sweep shares. A sweep continued with other options
// would mix incomparable runs: refused, naming them (rank 0).
void check_same_options(const TrainConfig& base, const std::string& out) {
  auto now = option_texts(base);
  for (const char* per_run : {"batch-size", "lr", "optimizer", "out", "resume", "threads"})
    now.erase(per_run);
  const std::string path = out + "/options";
  std::ifstream in(path);
  if (!in) {
    std::ofstream file(path);
    for (const auto& [name, text] : now) file << name << '=' << text << '\n';
    return;
  }
  std::vector<std::string> differ;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    const auto name = line.substr(0, eq);
    const auto it = now.find(name);
    if (it != now.end() && it->second != line.substr(eq + 1))
      differ.push_back("--" + name + " (sweep " + line.substr(eq + 1) + ", now " + it->second + ")");
  }
  TANDEM_USAGE_CHECK(differ.empty(), "the sweep in '", out, "' was made with other options:\n  ",
                     join(differ, "\n  "),
                     "\ngive the same options to continue it, or another --out for a new sweep");
}

SweepRecord train_one(const TrainConfig& base, SweepRecord r, dist::Comm& comm) {
  TrainConfig c = base;
  c.optimizer.name = r.optimizer;
  c.batch_size = r.batch;
  c.lr = r.lr;
  c.out = r.dir;
  r.scaled_lr = optim::scaled_lr(c.lr, c.batch_size, c.lr_scaling, c.base_batch);
  c.resume = broadcast_string(comm.is_root() ? newest_checkpoint(r.dir) : std::string(), comm);
  Trainer trainer(c, comm);
  try {
    trainer.run();
  } catch (const DivergedError& e) {  // raised on every rank at the same step: the sweep goes on
    log::infof("sweep: ", r.key(), " diverged: ", e.what());
    r.diverged = true;
  }
  const auto& t = trainer.target_result();
  const auto& p = trainer.progress();
  r.reached = t.reached;
  r.steps = t.reached ? t.step : p.global_step;
  r.epochs = t.reached ? t.epochs : static_cast<double>(p.epoch);
  r.samples = t.reached ? t.samples : static_cast<int64_t>(p.samples_trained);
  r.seconds = t.reached ? t.seconds : p.train_seconds;
  r.value = t.value;
  r.samples_per_s = r.seconds > 0 ? static_cast<double>(r.samples) / r.seconds : 0;
  const auto* noise = trainer.noise_scale();
  r.gns = noise && noise->measured() ? noise->b_simple() : 0;
  if (!std::isfinite(r.gns)) r.gns = 0;  // a diverged run's moving averages
  return r;
}

}  // namespace

const std::vector<double>& SweepGrid::lrs_for(const std::string& optimizer) const {
  auto it = lrs.find(optimizer);
  if (it == lrs.end()) it = lrs.find("");
  TANDEM_USAGE_CHECK(it != lrs.end() && !it->second.empty(), "--lrs gives no learning rates for ", optimizer,
                     "; add '", optimizer,
                     ":LR,LR,...' (groups separated by ';') or a list for every optimizer");
  return it->second;
}

size_t SweepGrid::runs() const {
  size_t n = 0;
  for (const auto& optimizer : optimizers) n += batch_sizes.size() * lrs_for(optimizer).size();
  return n;
}

std::map<std::string, std::vector<double>> parse_sweep_lrs(const std::string& text) {
  std::map<std::string, std::vector<double>> lrs;
  for (const auto& group : split(text, ";")) {
    const auto colon = group.find(':');
    const auto name = colon == std::string::npos ? std::string() : trim(group.substr(0, colon));
    auto& rates = lrs[name];
    TANDEM_USAGE_CHECK(rates.empty(), "--lrs lists the rates of ", name.empty() ? "every optimizer" : name,
                       " twice: '", text, "'");
    for (const auto& item : split(colon == std::string::npos ? group : group.substr(colon + 1), ", "))
      rates.push_back(parse_double(item, "--lrs"));
    TANDEM_USAGE_CHECK(!rates.empty(), "--lrs group '", group, "' lists no rate; give e.g. lamb:0.003,0.01");
  }
  TANDEM_USAGE_CHECK(!lrs.empty(),
                     "--lrs lists nothing; give e.g. --lrs 0.03,0.1 or 'momentum:0.03,0.1;lamb:0.003'");
  return lrs;
}

std::string SweepRecord::key() const {
  return optimizer + "-b" + std::to_string(batch) + "-lr" + format_number(lr);
}

std::string SweepRecord::json() const {
  JsonObject o;
  o.add("optimizer", optimizer)
      .add("batch", batch)
      .add("lr", lr)
      .add("scaled_lr", scaled_lr)
      .add("reached", reached)
      .add("diverged", diverged);
  o.add("steps", steps).add("epochs", epochs).add("samples", samples).add("seconds", seconds);
  o.add("value", value).add("samples_per_s", samples_per_s).add("gns", gns).add("dir", dir);
  return o.str();
}

SweepRecord SweepRecord::parse(const std::string& line) {
  const auto v = parse_metrics_line(line);
  SweepRecord r;
  r.optimizer = string_field(line, "optimizer");
  r.dir = string_field(line, "dir");
  TANDEM_USAGE_CHECK(!r.optimizer.empty() && v.count("batch") && v.count("lr") && v.count("steps"),
                     "not a tandem sweep line: ", line, "; remove it from sweep.jsonl or start a new --out");
  r.batch = static_cast<int64_t>(v.at("batch"));
  r.lr = v.at("lr");
  r.scaled_lr = v.count("scaled_lr") ? v.at("scaled_lr") : r.lr;
  r.reached = line.find("\"reached\": true") != std::string::npos;
  r.diverged = line.find("\"diverged\": true") != std::string::npos;
  r.steps = static_cast<int64_t>(v.at("steps"));
  r.epochs = v.count("epochs") ? v.at("epochs") : 0;
  r.samples = v.count("samples") ? static_cast<int64_t>(v.at("samples")) : 0;
  r.seconds = v.count("seconds") ? v.at("seconds") : 0;
  r.value = v.count("value") ? v.at("value") : 0;
  r.samples_per_s = v.count("samples_per_s") ? v.at("samples_per_s") : 0;
  r.gns = v.count("gns") ? v.at("gns") : 0;
  return r;
}

std::vector<SweepRecord> read_sweep_file(const std::string& path) {
  std::vector<SweepRecord> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (line.find('{') != std::string::npos) records.push_back(SweepRecord::parse(line));
  return records;
}

std::vector<SweepRecord> run_sweep(const TrainConfig& base, const SweepGrid& grid, const std::string& out,
                                   dist::Comm& comm) {
  TANDEM_USAGE_CHECK(!grid.optimizers.empty() && !grid.batch_sizes.empty(),
                     "a sweep needs at least one optimizer and batch size");
  for (const auto& optimizer : grid.optimizers) grid.lrs_for(optimizer);  // each has its rates
  const std::string lines = out + "/sweep.jsonl";
  std::map<std::string, SweepRecord> finished;
  if (comm.is_root()) {
    std::filesystem::create_directories(out + "/runs");
    check_same_options(base, out);
    finished = finished_runs(lines);
  }
  comm.barrier();  // every rank waits for rank 0's checks (an error there aborts the job)
  std::vector<SweepRecord> records;
  for (const auto& optimizer : grid.optimizers)
    for (const int64_t batch : grid.batch_sizes)
      for (const double lr : grid.lrs_for(optimizer)) {
        SweepRecord r;
        r.optimizer = optimizer, r.batch = batch, r.lr = lr;
        r.dir = out + "/runs/" + r.key();
        const auto found = finished.find(r.key());
        double skip = found != finished.end() ? 1 : 0;  // rank 0 decides, for every rank
        comm.broadcast(&skip, sizeof skip, 0);
        if (skip > 0) {
          if (comm.is_root()) records.push_back(found->second);
          continue;
        }
        log::infof("sweep: run ", records.size() + 1, " of ", grid.runs(), ": ", r.key());
        r = train_one(base, r, comm);
        if (stop_requested_on_any_rank(comm)) {  // the run it cut short is not finished
          log::infof("sweep: interrupted during ", r.key(), "; run the same command to continue");
          return records;
        }
        records.push_back(r);
        if (comm.is_root()) std::ofstream(lines, std::ios::app) << r.json() << std::endl;
      }
  return records;
}

std::vector<SweepRecord> best_per_batch(const std::vector<SweepRecord>& records) {
  std::map<std::pair<std::string, int64_t>, SweepRecord> best;
  for (const auto& r : records) {
    if (!r.reached) continue;
    const auto key = std::make_pair(r.optimizer, r.batch);
    const auto it = best.find(key);
    if (it == best.end() || r.steps < it->second.steps ||
        (r.steps == it->second.steps && r.samples < it->second.samples))
      best[key] = r;
  }
  std::vector<SweepRecord> out;
  for (const auto& [key, r] : best) out.push_back(r);
  return out;
}

std::optional<CriticalBatch> fit_critical_batch(const std::vector<SweepRecord>& best) {
  std::vector<double> inverse_batch, steps;
  for (const auto& r : best)
    if (r.reached)
      inverse_batch.push_back(1.0 / static_cast<double>(r.batch)),
          steps.push_back(static_cast<double>(r.steps));
  if (steps.size() < 3) return std::nullopt;
  const auto line = fit_line_relative(inverse_batch, steps);
  if (!line || !(line->intercept > 0) || !(line->slope > 0)) return std::nullopt;
  return CriticalBatch{line->intercept, line->slope, static_cast<int>(steps.size())};
}

}  // namespace tandem::train
