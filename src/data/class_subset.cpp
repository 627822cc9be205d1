#include "tandem/data/class_subset.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::data {
namespace {

// The rows `rows` of `object`, in its stored type, written contiguous to `to`.
template <class T>
void gather_rows(const io::H5File& from, io::H5File& to, const std::string& object, std::vector<int64_t> dims,
                 const std::vector<int64_t>& rows) {
  int64_t width = 1;
  for (size_t d = 1; d < dims.size(); ++d) width *= dims[d];
  std::vector<T> all(static_cast<size_t>(dims[0] * width)), kept(rows.size() * static_cast<size_t>(width));
  from.read(object, all.data());
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy_n(all.begin() + rows[r] * width, width, kept.begin() + static_cast<int64_t>(r) * width);
  dims[0] = static_cast<int64_t>(rows.size());
  to.write(object, dims, kept.data());
  if (from.has_attr(object, "scale")) to.set_attr(object, "scale", from.attr_double(object, "scale"));
}

void gather_array(const io::H5File& from, io::H5File& to, const std::string& object,
                  const std::vector<int64_t>& rows) {
  const auto info = from.info(object);
  switch (info.type) {
    case io::DType::kUint8: gather_rows<uint8_t>(from, to, object, info.dims, rows); break;
    case io::DType::kFloat32: gather_rows<float>(from, to, object, info.dims, rows); break;
    default: TANDEM_USAGE_CHECK(false, "'", object, "' in '", from.path(), "' is neither uint8 nor float32");
  }
}

}  // namespace

std::vector<int32_t> parse_class_list(const std::string& keep, const std::vector<std::string>& classes,
                                      int64_t count) {
  std::vector<int32_t> out;
  for (const auto& piece : split(keep, ",")) {
    const std::string name = trim(piece);
    const auto named = std::find(classes.begin(), classes.end(), name);
    int64_t c = named - classes.begin();
    if (named == classes.end()) {
      const bool number = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
      TANDEM_USAGE_CHECK(number, "--keep: '", name, "' is not a class of the dataset; its classes are ",
                         classes.empty() ? "0 .. " + std::to_string(count - 1) : join(classes, ", "));
      c = parse_int(name, "--keep");
    }
    TANDEM_USAGE_CHECK(c >= 0 && c < count, "--keep: class ", c, " is out of range; the dataset has ", count,
                       " classes (0 .. ", count - 1, ")");
    TANDEM_USAGE_CHECK(std::find(out.begin(), out.end(), c) == out.end(), "--keep names class ", name,
                       " twice");
    out.push_back(static_cast<int32_t>(c));
  }
  TANDEM_USAGE_CHECK(!out.empty(), "--keep names no class; give the classes to keep, e.g. --keep 0,1,2,3,4");
  return out;
}

std::string write_class_subset(const std::string& from, const std::string& keep, const std::string& out) {
  const io::H5File in(from, io::H5File::Mode::kRead);
  TANDEM_USAGE_CHECK(
      in.exists("/train/x") && in.exists("/train/y") && !in.is_group("/train/x") && !in.is_group("/train/y"),
      "'", from,
      "' has no single /train/x and /train/y arrays (convert classes takes a dataset "
      "of one input and class labels)");
  const auto classes =
      in.has_attr("/", "classes") ? in.attr_strings("/", "classes") : std::vector<std::string>{};
  std::vector<std::string> splits;
  int64_t count = static_cast<int64_t>(classes.size());
  for (const char* s : {"train", "val", "test"}) {
    const std::string y = std::string("/") + s + "/y";
    if (!in.exists(y)) continue;
    const auto info = in.info(y);
    TANDEM_USAGE_CHECK(info.type == io::DType::kInt32 && info.dims.size() == 1, "'", y, "' in '", from,
                       "' is not one int32 class index per row; convert classes needs class labels");
    if (classes.empty()) {
      std::vector<int32_t> labels(static_cast<size_t>(info.dims[0]));
      in.read(y, labels.data());
      for (int32_t l : labels) count = std::max<int64_t>(count, l + 1);
    }
    splits.push_back(s);
  }
  const auto kept = parse_class_list(keep, classes, count);
  std::vector<std::string> report;
  io::write_atomically(out, [&](io::H5File& f) {
    for (const char* name : {"format", "source"})
      if (in.has_attr("/", name)) f.set_attr("/", name, in.attr_string("/", name));
    if (in.has_attr("/", "version")) f.set_attr("/", "version", in.attr_int("/", "version"));
    std::vector<std::string> names;
    for (int32_t c : kept) names.push_back(classes.empty() ? std::to_string(c) : classes[c]);
    f.set_attr("/", "classes", names);
    for (const auto& s : splits) {
      std::vector<int32_t> labels(static_cast<size_t>(in.info("/" + s + "/y").dims[0]));
      in.read("/" + s + "/y", labels.data());
      std::vector<int64_t> rows;
      std::vector<int32_t> relabelled;
      for (size_t r = 0; r < labels.size(); ++r) {
        const auto at = std::find(kept.begin(), kept.end(), labels[r]);
        if (at == kept.end()) continue;
        rows.push_back(static_cast<int64_t>(r));
        relabelled.push_back(static_cast<int32_t>(at - kept.begin()));
      }
      f.create_group("/" + s);
      gather_array(in, f, "/" + s + "/x", rows);
      f.write("/" + s + "/y", {static_cast<int64_t>(relabelled.size())}, relabelled.data());
      report.push_back(s + " " + std::to_string(rows.size()));
    }
  });
  return join(report, ", ");
}

}  // namespace tandem::data
