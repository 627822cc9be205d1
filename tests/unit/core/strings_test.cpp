// The string helpers of the parsers: trim, split, join and the strict number parsers, whose
// errors are usage errors naming what was being parsed.
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem {
namespace {

using Strings = std::vector<std::string>;

TEST(Strings, TrimRemovesSurroundingWhitespaceOnly) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\n\tx"), "x");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim("in  side"), "in  side");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n "), "");
}

TEST(Strings, SplitOnAnySeparatorDroppingEmptyPieces) {
  EXPECT_EQ(split("a,b,c", ","), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split("a,b;c", ",;"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split(",,a,,b,,", ","), (Strings{"a", "b"}));
  EXPECT_EQ(split("whole", ","), (Strings{"whole"}));
  EXPECT_EQ(split("", ","), Strings{});
  EXPECT_EQ(split(",;,", ",;"), Strings{});
  // Spaces are kept unless they are separators.
  EXPECT_EQ(split(" a , b ", ","), (Strings{" a ", " b "}));
  EXPECT_EQ(split("key = value", " ="), (Strings{"key", "value"}));
}

TEST(Strings, JoinPutsTheSeparatorBetweenPieces) {
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(join({"a"}, ", "), "a");
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({"", ""}, ","), ",");
  // split undoes join when no piece is empty or contains the separator.
  const Strings parts{"dense_1.weight", "dense_1.bias", "x"};
  EXPECT_EQ(split(join(parts, ";"), ";"), parts);
}

TEST(Strings, ParseIntAcceptsWholeIntegers) {
  EXPECT_EQ(parse_int("42", "--epochs"), 42);
  EXPECT_EQ(parse_int("-7", "--epochs"), -7);
  EXPECT_EQ(parse_int("0", "--epochs"), 0);
  EXPECT_EQ(parse_int("+5", "--epochs"), 5);
  EXPECT_EQ(parse_int("9223372036854775807", "n"), LLONG_MAX);
  EXPECT_EQ(parse_int("-9223372036854775808", "n"), LLONG_MIN);
}

TEST(Strings, ParseIntRefusesAnythingElseNamingWhatAndTheText) {
  for (const std::string bad : {"", "4.2", "12abc", "abc", "1e3", "0x10", "9223372036854775808", "5 "}) {
    try {
      parse_int(bad, "--epochs");
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), "--epochs: expected an integer, got '" + bad + "'");
    }
  }
}

TEST(Strings, ParseDoubleAcceptsWholeNumbers) {
  EXPECT_EQ(parse_double("0.5", "--lr"), 0.5);
  EXPECT_EQ(parse_double("-1e-3", "--lr"), -1e-3);
  EXPECT_EQ(parse_double("3", "--lr"), 3.0);
  EXPECT_EQ(parse_double("1.5E2", "--lr"), 150.0);
  EXPECT_EQ(parse_double(".25", "--lr"), 0.25);
  EXPECT_EQ(parse_double("1e308", "--lr"), 1e308);
}

TEST(Strings, ParseDoubleRefusesAnythingElseNamingWhatAndTheText) {
  for (const std::string bad : {"", "1.5x", "abc", "0.1.2", "1e999", "1,5", "2 "}) {
    try {
      parse_double(bad, "--lr");
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), "--lr: expected a number, got '" + bad + "'");
    }
  }
}

// Found by tests/fuzz/ini_fuzz: every unknown option name of an INI file was compared with
// every option by a quadratic edit distance, 10 ms for a long damaged line. A candidate whose
// length alone rules it out is skipped; the answers stay those of the full comparison.
TEST(Strings, ClosestMatchSkipsCandidatesRuledOutByLength) {
  const std::vector<std::string> options = {"epochs", "lr", "batch-size", "lr-schedule"};
  EXPECT_EQ(closest_match("epoch", options), "epochs");
  EXPECT_EQ(closest_match("lr-shedule", options), "lr-schedule");
  EXPECT_EQ(closest_match("l", options), "lr");
  EXPECT_EQ(closest_match("batch", options), "");           // 4 edits from epochs, 5 from batch-size
  EXPECT_EQ(closest_match("batch", options, 4), "epochs");  // the length difference is not the distance
  EXPECT_EQ(closest_match("batch-siz", options), "batch-size");
  EXPECT_EQ(closest_match(std::string(100000, 'x'), options), "");
}

}  // namespace
}  // namespace tandem
