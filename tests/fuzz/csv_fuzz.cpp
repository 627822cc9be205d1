// The CSV converter (data::read_csv, then data::write_table, which checks and writes it): the first byte
// picks the options (header, label column, split column or held-out fraction), the rest is
// the file. Any file is a table or an Error naming the line and column.
#include "fuzz_support.hpp"
#include "tandem/data/csv_import.hpp"
#include "tandem/data/table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const tandem::fuzz::ScratchFile csv(data + 1, size - 1, ".csv");
  tandem::data::CsvOptions options;
  options.header = mode & 1;
  static const char* const kLabelColumns[] = {"0", "1", "label", "-1"};
  options.label_column = kLabelColumns[(mode >> 1) & 3];
  if (mode & 8) options.split_column = options.header ? "split" : "2";
  if (mode & 16) options.test_fraction = (mode & 32) ? 0.5 : 0.2;
  options.seed = mode >> 6;
  tandem::fuzz::expect_clear_errors([&] {
    const auto table = tandem::data::read_csv(csv.path(), options);
    const int64_t width = table.sample_size();
    for (const auto& [name, split] : table.splits)
      tandem::fuzz::require(static_cast<int64_t>(split.x.size()) == split.rows * width,
                            "split " + name + ": x does not hold rows x sample size values");
    // write_table checks what the converter requires (a train and a test split, ...).
    const tandem::fuzz::ScratchFile h5(".h5");
    tandem::data::write_table(table, h5.path());
  });
  return 0;
}
