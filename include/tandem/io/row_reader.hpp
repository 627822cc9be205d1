#pragma once
// Rows of one HDF5 array [N, ...], read on demand from files kept open (streaming: the data
// stays on disk, or in the page cache). The array may be split over several files of the same
// layout (shards), read as one: their rows follow each other in the order of the files. The
// rows of one call are sorted and coalesced into runs of consecutive rows within a file, read
// in file order (a contiguous array: one pread per run; a chunked one: one HDF5 selection per
// file, one pass over the chunks it touches), then put in the order asked for.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tandem/io/h5.hpp"

namespace tandem::io {

class RowReader {
 public:
  // Opens each file read-only and the array `object` in it; its type must be uint8, float32
  // or int32 (read as stored), the same in every file, and so must the shape of a row.
  RowReader(const std::vector<std::string>& paths, const std::string& object);
  RowReader(const std::string& path, const std::string& object)
      : RowReader(std::vector<std::string>{path}, object) {}
  ~RowReader();
  RowReader(const RowReader&) = delete;
  RowReader& operator=(const RowReader&) = delete;

  const std::vector<std::string>& paths() const { return paths_; }
  const std::string& object() const { return object_; }
  int64_t rows() const { return rows_; }
  DType type() const { return type_; }
  int64_t row_bytes() const { return row_bytes_; }

  // Rows idx[0..n) (any order; repeats allowed) into out, n * row_bytes() bytes, in that
  // order. Not for concurrent calls on one reader: each thread reads through its own.
  void read(const int64_t* idx, int64_t n, void* out);
  // Rows [begin, begin + n) into out.
  void read_range(int64_t begin, int64_t n, void* out);
  // Whether every file's rows are read directly (contiguous, unfiltered, native byte order).
  bool direct() const;
  // The file holding a row of the array, and the row's index within that file.
  std::pair<std::string, int64_t> file_of(int64_t row) const;
  // Rows read from the files so far (each distinct row of a call once): for tests.
  int64_t rows_read() const { return rows_read_; }

 private:
  struct Part {  // the array in one file
    int64_t first_row = 0, rows = 0;
    int64_t file = -1, dataset = -1, space = -1;  // hid_t
    int fd = -1;                                  // direct reads, else -1
    int64_t base = 0;                             // the array's offset in the file
  };
  struct Run {
    size_t part;
    int64_t row, count;  // row within the part
  };
  void open_part(size_t p, const std::string& path);
  void add_row(int64_t row, size_t& part);
  void read_runs(void* out);
  void read_direct(const Part& part, const Run& run, char* out) const;
  void read_selection(Part& part, size_t first, size_t last, char* out);
  void close();

  std::vector<std::string> paths_;
  std::string object_;
  std::vector<Part> parts_;
  int64_t rows_ = 0, row_bytes_ = 0, mem_type_ = -1;
  DType type_ = DType::kOther;
  std::vector<int64_t> row_dims_;  // a row's shape
  // Scratch of one call, grown to the largest call and then reused (no allocation after).
  std::vector<std::pair<int64_t, int64_t>> order_;  // (row, position asked)
  std::vector<Run> runs_;
  std::vector<uint8_t> sorted_;  // distinct rows in file order
  int64_t distinct_ = 0;
  int64_t rows_read_ = 0;
};

}  // namespace tandem::io
