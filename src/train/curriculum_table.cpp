#include "tandem/train/curriculum_table.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/dist/sync.hpp"

namespace tandem::train {

CurriculumTable::CurriculumTable(std::span<const int32_t> labels, std::vector<float> difficulty,
                                 data::CurriculumSchedule schedule)
    : labels_(labels.begin(), labels.end()), difficulty_(std::move(difficulty)) {
  data::check_difficulty(difficulty_, static_cast<int64_t>(labels_.size()), "the training difficulties");
  curriculum_ = std::make_unique<data::Curriculum>(labels_, difficulty_, schedule);
}

uint64_t CurriculumTable::checksum() const {
  return dist::checksum(difficulty_.data(), difficulty_.size() * sizeof(float));
}

void CurriculumTable::save(std::vector<io::RunArray>& arrays) const {
  arrays.push_back({"curriculum_difficulty", difficulty_, {}});
}

void CurriculumTable::restore(const std::string& checkpoint) {
  std::vector<float> stored;
  if (!io::read_run_array(checkpoint, "curriculum_difficulty", stored)) {
    log::warnf("'", checkpoint,
               "' was written without --curriculum: the curriculum ranks by --difficulty as given");
    return;
  }
  data::check_difficulty(stored, static_cast<int64_t>(labels_.size()),
                         "'" + checkpoint + "' curriculum_difficulty");
  if (stored == difficulty_) return;
  log::warnf("the difficulties given differ from those of '", checkpoint,
             "': ranking by the checkpoint's, as the run being continued did");
  difficulty_ = std::move(stored);
  curriculum_ = std::make_unique<data::Curriculum>(labels_, difficulty_, curriculum_->schedule());
}

}  // namespace tandem::train
