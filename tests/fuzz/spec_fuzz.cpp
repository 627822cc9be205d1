// The model-spec parser (model::parse_spec): any text is a spec or a UsageError naming the
// line; a spec it accepts prints as canonical text that parses back to the same text.
#include "fuzz_support.hpp"
#include "tandem/model/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tandem::model::ModelSpec spec;
  if (!tandem::fuzz::expect_clear_errors([&] { spec = tandem::model::parse_spec(text, "fuzz.model"); }))
    return 0;
  const std::string canonical = spec.to_text();
  std::string again;
  try {
    again = tandem::model::parse_spec(canonical, "canonical.model").to_text();
  } catch (const tandem::Error& e) {
    tandem::fuzz::require(false,
                          "canonical text does not parse back: " + std::string(e.what()) + "\n" + canonical);
  }
  tandem::fuzz::require(again == canonical,
                        "canonical text changes when parsed again:\n" + canonical + "\n" + again);
  return 0;
}
