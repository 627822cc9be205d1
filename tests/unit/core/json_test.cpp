// JsonObject and json_escape: the exact text of metrics lines and --json output, and that
// the text parses back (with a small strict JSON parser written here) to what was put in.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "tandem/core/json.hpp"

namespace tandem {
namespace {

// --- a strict JSON parser (RFC 8259), enough to check the writer's output ----------------------
struct Value;
using Object = std::vector<std::pair<std::string, std::shared_ptr<Value>>>;  // keeps key order
using Array = std::vector<std::shared_ptr<Value>>;
struct Value {
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v;
};

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}
  // The whole text must be exactly one value (surrounding whitespace allowed).
  std::shared_ptr<Value> parse_document() {
    auto v = value();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_) + " of: " + s_);
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    ws();
    if (i_ >= s_.size() || s_[i_] != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  std::shared_ptr<Value> value() {
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    auto out = std::make_shared<Value>();
    const char c = s_[i_];
    if (c == '{') {
      out->v = object();
    } else if (c == '[') {
      out->v = array();
    } else if (c == '"') {
      out->v = string();
    } else if (literal("true")) {
      out->v = true;
    } else if (literal("false")) {
      out->v = false;
    } else if (literal("null")) {
      out->v = nullptr;
    } else {
      out->v = number();
    }
    return out;
  }
  Object object() {
    Object o;
    expect('{');
    ws();
    if (i_ < s_.size() && s_[i_] == '}') return ++i_, o;
    while (true) {
      ws();
      std::string k = string();
      expect(':');
      o.emplace_back(k, value());
      ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return o;
    }
  }
  Array array() {
    Array a;
    expect('[');
    ws();
    if (i_ < s_.size() && s_[i_] == ']') return ++i_, a;
    while (true) {
      a.push_back(value());
      ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      expect(']');
      return a;
    }
  }
  std::string string() {
    if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string");
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("raw control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated escape");
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) fail("short \\u escape");
          const std::string hex = s_.substr(i_, 4);
          for (char h : hex)
            if (!std::isxdigit(static_cast<unsigned char>(h))) fail("bad \\u escape");
          const long code = std::strtol(hex.c_str(), nullptr, 16);
          if (code >= 0x80) fail("this test parser handles only ASCII \\u escapes");
          out += static_cast<char>(code);
          i_ += 4;
          break;
        }
        default: fail(std::string("bad escape \\") + e);
      }
    }
  }
  double number() {
    // JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const size_t start = i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      return i_ - d;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (digits() == 0) {
      fail("expected a value");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) fail("digits expected after '.'");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) fail("digits expected in the exponent");
    }
    return std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
  }

  const std::string& s_;
  size_t i_ = 0;
};

Object parse_object(const std::string& text) {
  auto v = Parser(text).parse_document();
  return std::get<Object>(v->v);
}
const Value& member(const Object& o, const std::string& key) {
  for (const auto& [k, v] : o)
    if (k == key) return *v;
  throw std::runtime_error("no key " + key);
}

TEST(Json, EmptyObject) {
  EXPECT_EQ(JsonObject().str(), "{}");
  EXPECT_TRUE(parse_object(JsonObject().str()).empty());
}

TEST(Json, FlatObjectTextKeepsInsertionOrder) {
  JsonObject o;
  o.add("epoch", 3).add("step", int64_t{87}).add("train_loss", 0.5).add("name", "mlp").add("ok", true);
  o.add("bad", false);
  EXPECT_EQ(o.str(),
            R"({"epoch": 3, "step": 87, "train_loss": 0.5, "name": "mlp", "ok": true, "bad": false})");
  const auto p = parse_object(o.str());
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].first, "epoch");
  EXPECT_EQ(std::get<double>(member(p, "step").v), 87);
  EXPECT_EQ(std::get<std::string>(member(p, "name").v), "mlp");  // a C string is a string, not a bool
  EXPECT_EQ(std::get<bool>(member(p, "bad").v), false);
}

TEST(Json, IntegersAreExactAtTheExtremes) {
  JsonObject o;
  o.add("max", std::numeric_limits<int64_t>::max()).add("min", std::numeric_limits<int64_t>::min());
  o.add("neg", -12);
  EXPECT_EQ(o.str(), R"({"max": 9223372036854775807, "min": -9223372036854775808, "neg": -12})");
}

TEST(Json, DoublesWithNineSignificantDigitsAndNullForNonFinite) {
  auto text = [](double v) {
    const auto s = JsonObject().add("v", v).str();
    return s.substr(6, s.size() - 7);  // {"v": X}
  };
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(-2.5), "-2.5");
  EXPECT_EQ(text(1e-10), "1e-10");
  EXPECT_EQ(text(123456789.0), "123456789");
  EXPECT_EQ(text(1.0 / 3.0), "0.333333333");
  EXPECT_EQ(text(0.0), "0");
  EXPECT_EQ(text(std::nan("")), "null");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), "null");
  // Every float survives the trip through the text exactly (metrics are float values).
  for (const float f : {0.1f, 1.0f / 3.0f, 123456.789f, 1e-30f, 3.4e38f, -7.25e-5f, 0.8931f}) {
    const auto p = parse_object(JsonObject().add("v", static_cast<double>(f)).str());
    EXPECT_EQ(static_cast<float>(std::get<double>(member(p, "v").v)), f) << text(f);
  }
}

TEST(Json, EscapeQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_escape("plain text"), "plain text");
  EXPECT_EQ(json_escape("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(json_escape("C:\\dir"), "C:\\\\dir");
  EXPECT_EQ(json_escape("a\nb\tc"), "a\\nb\\tc");
  EXPECT_EQ(json_escape(std::string("\x01\x1f\r\b", 4)), "\\u0001\\u001f\\u000d\\u0008");
  EXPECT_EQ(json_escape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
  EXPECT_EQ(json_escape(""), "");
}

TEST(Json, EscapedKeysAndValuesParseBackToTheOriginals) {
  const std::string nasty = "q\"b\\s/n\nt\tc\x02 end";
  JsonObject o;
  o.add(nasty, nasty).add("path", "runs/\"x\"\\final.h5");
  const auto p = parse_object(o.str());
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].first, nasty);
  EXPECT_EQ(std::get<std::string>(p[0].second->v), nasty);
  EXPECT_EQ(std::get<std::string>(member(p, "path").v), "runs/\"x\"\\final.h5");
}

TEST(Json, AddRawNestsObjectsAndArrays) {
  JsonObject inner;
  inner.add("x", 1).add("y", "two");
  JsonObject outer;
  outer.add("name", "eval").add_raw("inner", inner.str()).add_raw("confusion", "[[1, 0], [2, 3]]");
  EXPECT_EQ(outer.str(), R"({"name": "eval", "inner": {"x": 1, "y": "two"}, "confusion": [[1, 0], [2, 3]]})");
  const auto p = parse_object(outer.str());
  const auto& in = std::get<Object>(member(p, "inner").v);
  EXPECT_EQ(std::get<double>(member(in, "x").v), 1);
  EXPECT_EQ(std::get<std::string>(member(in, "y").v), "two");
  const auto& rows = std::get<Array>(member(p, "confusion").v);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::get<double>(std::get<Array>(rows[1]->v)[1]->v), 3);
}

TEST(Json, TheTestParserRejectsInvalidText) {
  // The parser above must be able to fail, or the round trips prove nothing.
  for (const std::string bad : {"{", "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": nan}", "{\"a\": \"x\ny\"}",
                                "{\"a\": 01}", "{\"a\": 1} x", "{\"a\": \"\\q\"}"})
    EXPECT_THROW(Parser(bad).parse_document(), std::runtime_error) << bad;
}

}  // namespace
}  // namespace tandem
