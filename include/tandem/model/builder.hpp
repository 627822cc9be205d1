#pragma once
// The C++ builder API. It produces the same ModelSpec the text format does, so both paths
// build identical graphs and every model can be saved as text with its checkpoint.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tandem/model/spec.hpp"

namespace tandem::model {

using Options = std::map<std::string, std::string>;

class ModelBuilder {
 public:
  // Each call adds a node reading the previous node (or opts["in"]) and returns its name.
  std::string input(const std::vector<int64_t>& shape, const std::string& name = "x");
  std::string dense(int64_t units, Options opts = {}, const std::string& name = "");
  std::string conv2d(int64_t filters, Options opts = {}, const std::string& name = "");
  std::string maxpool(int64_t size = 2, Options opts = {}, const std::string& name = "");
  std::string avgpool(int64_t size = 2, Options opts = {}, const std::string& name = "");
  std::string batchnorm(Options opts = {}, const std::string& name = "");
  std::string dropout(double rate, Options opts = {}, const std::string& name = "");
  std::string activation(const std::string& op, Options opts = {}, const std::string& name = "");
  std::string flatten(Options opts = {}, const std::string& name = "");
  std::string add(const std::vector<std::string>& inputs, const std::string& name = "");
  std::string concat(const std::vector<std::string>& inputs, const std::string& name = "");
  // Any op by its spec keyword.
  std::string node(const std::string& op, std::vector<std::string> args, Options opts,
                   std::vector<std::string> inputs = {}, const std::string& name = "");
  // A loss on `node` (default: the last node); several make a multi-output model.
  ModelBuilder& loss(const std::string& name, const std::string& node = "", double weight = 1,
                     const std::string& target = "");

  // The spec so far, with the loss defaults filled in (resolve_losses).
  ModelSpec spec() const {
    ModelSpec s = spec_;
    resolve_losses(s);
    return s;
  }

 private:
  ModelSpec spec_;
  std::map<std::string, int> counters_;
};

}  // namespace tandem::model
