#pragma once
// Rows of one HDF5 dataset [N, ...], read on demand from a file kept open (streaming: the
// data stays on disk, or in the page cache). The rows of one call are sorted and coalesced
// into runs of consecutive rows, read in file order (a contiguous array: one pread per run;
// a chunked one: one HDF5 selection, one pass over the chunks it touches), then put in the
// order asked for.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/io/h5.hpp"

namespace tandem::io {

class RowReader {
 public:
  // Opens `path` read-only and the dataset `object` in it; its type must be uint8, float32 or
  // int32 and is read as stored.
  RowReader(const std::string& path, const std::string& object);
  ~RowReader();
  RowReader(const RowReader&) = delete;
  RowReader& operator=(const RowReader&) = delete;

  const std::string& path() const { return path_; }
  const std::string& object() const { return object_; }
  int64_t rows() const { return rows_; }
  DType type() const { return type_; }
  int64_t row_bytes() const { return row_bytes_; }

  // Rows idx[0..n) (any order; repeats allowed) into out, n * row_bytes() bytes, in that
  // order. Not for concurrent calls on one reader: each thread reads through its own.
  void read(const int64_t* idx, int64_t n, void* out);
  // Rows [begin, begin + n) into out.
  void read_range(int64_t begin, int64_t n, void* out);
  // Whether rows are read directly (a contiguous, unfiltered array in native byte order).
  bool direct() const { return fd_ >= 0; }
  // Rows read from the file so far (each distinct row of a call once): for tests.
  int64_t rows_read() const { return rows_read_; }

 private:
  void read_sorted_runs(void* out);
  void open_direct();
  void close();

  std::string path_, object_;
  int64_t file_ = -1, dataset_ = -1, file_space_ = -1, mem_type_ = -1;  // hid_t
  int fd_ = -1;                                                         // direct reads, else -1
  int64_t base_ = 0;                                                    // the array's file offset
  int64_t rows_ = 0, row_bytes_ = 0;
  DType type_ = DType::kOther;
  std::vector<int64_t> dims_;
  // Scratch of one call, grown to the largest call and then reused (no allocation after).
  std::vector<std::pair<int64_t, int64_t>> order_;  // (row, position asked)
  std::vector<std::pair<int64_t, int64_t>> runs_;   // (first row, count)
  std::vector<uint8_t> sorted_;                     // distinct rows in file order
  int64_t distinct_ = 0;
  int64_t rows_read_ = 0;
};

}  // namespace tandem::io
