// tandem convert classes: the rows of the kept classes, in order, relabelled by their place in
// --keep, inputs and their scale as they were; bad class lists refused by name.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/data/class_subset.hpp"
#include "tandem/io/h5.hpp"

namespace tandem {
namespace {

TEST(ClassSubset, KeepsTheRowsOfTheNamedClassesRelabelledInTheirOrder) {
  const auto dir = std::filesystem::temp_directory_path() / ("tandem_subset_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string from = (dir / "d.h5").string(), out = (dir / "s.h5").string();
  {
    io::H5File f(from, io::H5File::Mode::kCreate);
    // Row r of /train has pixels (r, 10 + r) and label r % 4; /test two rows.
    std::vector<uint8_t> x;
    std::vector<int32_t> y;
    for (int r = 0; r < 8; ++r)
      x.insert(x.end(), {static_cast<uint8_t>(r), static_cast<uint8_t>(10 + r)}), y.push_back(r % 4);
    f.write("/train/x", {8, 2}, x.data());
    f.set_attr("/train/x", "scale", 1.0 / 255);
    f.write("/train/y", {8}, y.data());
    const uint8_t tx[4] = {50, 51, 60, 61};
    const int32_t ty[2] = {3, 1};
    f.write("/test/x", {2, 2}, tx);
    f.write("/test/y", {2}, ty);
    f.set_attr("/", "classes", std::vector<std::string>{"a", "b", "c", "d"});
  }
  // d first, then b (by index): d -> 0, b -> 1.
  EXPECT_EQ(data::write_class_subset(from, "d,1", out), "train 4, test 2");
  io::H5File s(out, io::H5File::Mode::kRead);
  EXPECT_EQ(s.attr_strings("/", "classes"), (std::vector<std::string>{"d", "b"}));
  std::vector<uint8_t> x(8);
  std::vector<int32_t> y(4);
  s.read("/train/x", x.data());
  s.read("/train/y", y.data());
  EXPECT_EQ(x, (std::vector<uint8_t>{1, 11, 3, 13, 5, 15, 7, 17})) << "rows 1, 3, 5, 7 in their order";
  EXPECT_EQ(y, (std::vector<int32_t>{1, 0, 1, 0}));
  EXPECT_DOUBLE_EQ(s.attr_double("/train/x", "scale"), 1.0 / 255);
  std::vector<int32_t> ty(2);
  s.read("/test/y", ty.data());
  EXPECT_EQ(ty, (std::vector<int32_t>{0, 1}));
  EXPECT_THROW(data::write_class_subset(from, "a,e", out), UsageError) << "no class e";
  EXPECT_THROW(data::write_class_subset(from, "4", out), UsageError) << "out of range";
  EXPECT_THROW(data::write_class_subset(from, "a,0", out), UsageError) << "class a twice";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem
