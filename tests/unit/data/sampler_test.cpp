#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tandem/data/sampler.hpp"

namespace tandem {
namespace {
TEST(Sampler, Placeholder) {}
}
}
