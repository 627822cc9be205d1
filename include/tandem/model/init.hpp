#pragma once
// Weight initializers, by name (`init=` and `bias_init=` in a spec). Each is one line in the
// registry of src/model/init.cpp: name, aliases, summary and the function that fills a tensor.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/core/registry.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/tensor/tensor.hpp"

namespace tandem::model {

// Fills t from spec (fan_in, fan_out and the optional value of "scheme:VALUE") with rng.
using InitFill = void (*)(const graph::InitSpec& spec, Tensor t, Philox& rng);

struct InitializerInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  InitFill fill = nullptr;
  bool constant = false;  // the same value everywhere (zeros, constant): no randomness
};

const Registry<InitializerInfo>& initializer_registry();

// Fills every parameter from its InitSpec with Philox keyed by (seed, parameter index):
// the same seed gives the same parameters on every rank.
void initialize(graph::Graph& graph, uint64_t seed);

// One tensor by its scheme; UsageError for an unknown one.
void init_tensor(const graph::InitSpec& spec, Tensor t, uint64_t seed, uint32_t stream);

}  // namespace tandem::model
