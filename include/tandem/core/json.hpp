#pragma once
// A flat JSON object writer for metrics lines and machine-readable output.
#include <cstdint>
#include <string>

namespace tandem {

class JsonObject {
 public:
  JsonObject& add(const std::string& key, double value);
  JsonObject& add(const std::string& key, int64_t value);
  JsonObject& add(const std::string& key, int value) { return add(key, int64_t{value}); }
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonObject& add(const std::string& key, bool value);
  // value is already JSON (a nested object or array).
  JsonObject& add_raw(const std::string& key, const std::string& json);
  std::string str() const { return std::string("{").append(body_).append("}"); }

 private:
  void key(const std::string& k);
  std::string body_;
};

std::string json_escape(const std::string& s);

}  // namespace tandem
