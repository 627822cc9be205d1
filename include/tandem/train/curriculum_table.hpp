#pragma once
// --curriculum: the training samples' difficulties and the curriculum ranked from them
// (data/curriculum.hpp). The difficulties go into checkpoints, and a resumed run ranks by the
// checkpoint's, so that it deals the batches the uninterrupted run would have dealt.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tandem/data/curriculum.hpp"
#include "tandem/io/checkpoint.hpp"

namespace tandem::train {

class CurriculumTable {
 public:
  // labels and difficulty: one per training sample, as trained (after --train-limit, --val-split).
  CurriculumTable(std::span<const int32_t> labels, std::vector<float> difficulty,
                  data::CurriculumSchedule schedule);

  const data::Curriculum& curriculum() const { return *curriculum_; }
  // Of the difficulties, for the agreement check across ranks.
  uint64_t checksum() const;
  // "curriculum_difficulty" into arrays (a view: keep this object alive while it is written).
  void save(std::vector<io::RunArray>& arrays) const;
  // The checkpoint's difficulties replace these (written without a curriculum: kept, noted).
  void restore(const std::string& checkpoint);

 private:
  std::vector<int32_t> labels_;
  std::vector<float> difficulty_;
  std::unique_ptr<data::Curriculum> curriculum_;
};

}  // namespace tandem::train
