#pragma once
// A split of a tandem HDF5 dataset (see datasets/README.md). Its inputs are held in memory in
// their stored type (uint8 stays uint8), or streamed: read from the file, row by row as
// batches ask for them (DataMode). Either way they are converted to float32 batch by batch,
// and targets are held in memory.
//
// /SPLIT/x is one array of samples, or a group of named arrays (the inputs of a multi-input
// model); /SPLIT/y is one array of targets, or a group of named arrays (one per loss of a
// multi-output model). Targets are int32 class indices [N] or float32 vectors [N, K]
// (multi-label or regression).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"
#include "tandem/tensor/shape.hpp"

namespace tandem::io {
class RowReader;
}
namespace tandem::dist {
class Comm;
}

namespace tandem::data {

// Where a split's inputs live (--data-mode).
enum class DataMode { kAuto, kMemory, kStream };
inline constexpr EnumName<DataMode> kDataModeNames[] = {
    {DataMode::kAuto, "auto", "memory when a split's inputs fit --data-memory-mb, else stream"},
    {DataMode::kMemory, "memory", "each rank reads its splits' inputs into memory at the start"},
    {DataMode::kStream, "stream", "each rank reads the rows of its share of each batch from the file"},
};
constexpr std::span<const EnumName<DataMode>> enum_names(DataMode) {
  return kDataModeNames;
}

// Who holds a split kept in memory (--data-cache).
enum class DataCache { kRank, kNode };
inline constexpr EnumName<DataCache> kDataCacheNames[] = {
    {DataCache::kRank, "rank", "every rank holds its own copy"},
    {DataCache::kNode, "node", "the ranks of a node share one copy (MPI shared memory), each reading a part"},
};
constexpr std::span<const EnumName<DataCache>> enum_names(DataCache) {
  return kDataCacheNames;
}

// One array of a split, in its stored type.
struct Field {
  enum class Type { kUint8, kFloat32, kInt32 };
  std::string name;  // member of the x or y group; "" for a plain /SPLIT/x or /SPLIT/y
  Type type = Type::kFloat32;
  Shape shape;      // per sample; [] for class indices
  float scale = 1;  // uint8 samples are x * scale
  std::vector<uint8_t> u8;
  std::vector<float> f32;
  std::vector<int32_t> i32;
  std::shared_ptr<io::RowReader> reader;  // streamed inputs: the rows' source (u8, f32 empty)
  std::shared_ptr<uint8_t> node_copy;     // --data-cache node: the node's one copy (u8, f32 empty)
  const uint8_t* u8_data() const { return node_copy ? node_copy.get() : u8.data(); }
  const float* f32_data() const {
    return node_copy ? reinterpret_cast<const float*>(node_copy.get()) : f32.data();
  }
  bool is_labels() const { return type == Type::kInt32; }
  int64_t width() const { return shape.numel(); }
};

class Dataset {
 public:
  // Reads /SPLIT/x and /SPLIT/y, validating the layout; `limit` > 0 keeps the first rows only.
  // The inputs are read into memory, or (kStream; kAuto when they take more than
  // memory_budget_mb) left in the file and read as rows are asked for. With node_cache, inputs
  // held in memory are held once per node, shared by its ranks (each reads a part of them);
  // collective over the ranks of the node. Float inputs and targets must be finite (checked as
  // they are read, streamed rows too; an error names the array and the first bad row) unless
  // check_finite is false.
  static Dataset load(const std::string& path, const std::string& split, int64_t limit = 0,
                      DataMode mode = DataMode::kMemory, int64_t memory_budget_mb = 0,
                      dist::Comm* node_cache = nullptr, bool check_finite = true);
  bool streamed() const { return !x_.empty() && x_[0].reader != nullptr; }
  bool node_cached() const { return !x_.empty() && x_[0].node_copy != nullptr; }
  // A copy that reads through file handles of its own (for another thread); the same rows.
  Dataset with_own_readers() const;
  // Bytes the inputs of the first `rows` rows take in their stored type.
  static int64_t input_bytes(const std::string& path, const std::string& split, int64_t rows);

  int64_t size() const { return n_; }
  const std::string& path() const { return path_; }
  // "/train/x/image", for messages.
  std::string where(const Field& f, bool input) const;
  const std::vector<Field>& inputs() const { return x_; }
  const std::vector<Field>& targets() const { return y_; }
  int find_input(const std::string& name) const;   // -1 if absent
  int find_target(const std::string& name) const;  // -1 if absent

  // The first input (the only one of a single-input dataset).
  const Shape& sample_shape() const { return x_[0].shape; }
  int64_t sample_numel() const { return x_[0].width(); }
  // Class indices of target j; the first class-index target by default. A dataset without
  // class indices gives all zeros: one class, which balanced sampling treats as no classes.
  const std::vector<int32_t>& labels(int target = -1) const;
  bool has_labels() const;
  int32_t max_label(int target = -1) const;
  int64_t classes_in_file() const { return classes_; }  // from the `classes` attribute, or 0
  // The `classes` attribute's names (empty when the file has none).
  const std::vector<std::string>& class_names() const { return class_names_; }

  // Rows of input i as float: idx[0..n), or the contiguous rows [begin, begin + n) when idx is
  // null. out holds n * inputs()[i].width() floats. Streamed, one thread at a time.
  void input_rows(int i, const int64_t* idx, int64_t begin, int64_t n, float* out) const;
  // The same rows of target j: class indices into labels, float vectors into values.
  void target_rows(int j, const int64_t* idx, int64_t begin, int64_t n, int32_t* labels, float* values) const;

  // Single-input class-index datasets: the first input and labels().
  void gather(const int64_t* idx, int64_t n, float* x, int32_t* y) const;
  void rows(int64_t begin, int64_t n, float* x, int32_t* y) const;
  // A new dataset holding rows ids[0..n) in that order (a validation split, for example).
  Dataset subset(const std::vector<int64_t>& ids) const;

 private:
  std::string path_, split_;
  int64_t n_ = 0;
  std::vector<Field> x_, y_;
  std::vector<int32_t> no_labels_;  // zeros, when no target holds class indices
  bool check_finite_ = true;        // streamed float rows, as they are read
  // Streamed or node-cached: the stored row of each row of a subset (empty: the same rows),
  // and one call's scratch, grown to the largest batch and then reused.
  std::vector<int64_t> file_rows_;
  const int64_t* stored_rows(const int64_t* idx, int64_t begin, int64_t n) const;
  mutable std::vector<int64_t> mapped_;
  mutable std::vector<uint8_t> raw_;
  void stream_rows(const Field& f, const int64_t* idx, int64_t begin, int64_t n, float* out) const;
  int64_t classes_ = 0;
  std::vector<std::string> class_names_;
};

}  // namespace tandem::data
