#pragma once
// The ops a model spec can name. Each op family's header declares a factory
// `make_NAME(SpecArgs&, const OpContext&)`; src/ops/registry.cpp registers it with one line
// (name, arguments, summary, factory). The model builder, the "unknown op" message, `tandem
// list ops` and the README's op table all read this registry.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tandem/core/registry.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/graph/op.hpp"
#include "tandem/tensor/precision.hpp"

namespace tandem::ops {

// One spec line's positional arguments and KEY=VALUE options, as an op's factory reads them.
// done() refuses whatever the factory did not read, naming the spec file and line.
class SpecArgs {
 public:
  // where: "FILE:LINE: " (or "FILE: "), the prefix of every message.
  SpecArgs(std::string op, std::vector<std::string> args, std::map<std::string, std::string> options,
           std::string where);

  const std::string& op() const { return op_; }
  const std::string& where() const { return where_; }

  std::string text(const std::string& key, const std::string& fallback);
  int64_t integer(const std::string& key, int64_t fallback);
  double number(const std::string& key, double fallback);
  bool flag(const std::string& key, bool fallback);
  // "scheme" or "scheme:VALUE" (constant:0.01, orthogonal:2); the model builder checks the
  // scheme against the initializer registry.
  graph::InitSpec init(const std::string& key, const std::string& fallback);
  // Positional argument i, else the option `key` of the same meaning, else the fallback.
  int64_t arg_int(size_t i, const std::string& key, int64_t fallback);
  double arg_number(size_t i, const std::string& key, double fallback);
  // Throws UsageError for positional arguments or options nobody read.
  void done() const;

 private:
  std::string op_;
  std::vector<std::string> args_;
  std::map<std::string, std::string> options_;
  std::string where_;
  std::set<std::string> used_;
  size_t args_used_ = 0;
};

// What an op may need from the run that builds it.
struct OpContext {
  dist::Comm* bn_comm = nullptr;  // synchronized batch norm; null: per-rank statistics
  Precision precision = Precision::kFp32;
};

using OpFactory = std::unique_ptr<graph::Op> (*)(SpecArgs&, const OpContext&);

struct OpInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;    // what it computes, with per-sample shapes
  std::string arguments;  // "UNITS [bias=true init=he_normal bias_init=zeros]"
  OpFactory make = nullptr;
  bool inputs_as_arguments = false;  // `add A B`: the positional arguments name its inputs
};

const Registry<OpInfo>& op_registry();

}  // namespace tandem::ops
