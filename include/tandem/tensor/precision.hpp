#pragma once
// The number format of the matrix work (--precision). fp32 is the reference; bf16 feeds the
// convolutions and dense layers bf16 copies of their inputs and weights (a convolution's
// converted in the layout change it needs anyway) and accumulates in fp32. Master weights, optimizer state,
// losses, softmax, batch-norm statistics and every reduction stay fp32; checkpoints are fp32.
#include <span>

#include "tandem/core/enum_names.hpp"

namespace tandem {

enum class Precision { kFp32, kBf16 };
inline constexpr EnumName<Precision> kPrecisionNames[] = {
    {Precision::kFp32, "fp32", "32-bit floats throughout (the reference)"},
    {Precision::kBf16, "bf16",
     "bf16 inputs and weights in convolutions and dense layers, fp32 accumulation and state"},
};
constexpr std::span<const EnumName<Precision>> enum_names(Precision) {
  return kPrecisionNames;
}

}  // namespace tandem
