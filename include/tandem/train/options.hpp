#pragma once
// The options of `tandem train`, declared once: name, help, how each reads and writes its
// field of TrainConfig, and whether a resumed run may change it. The command line and the INI
// reader (cli), --help, the text stored in checkpoints and model files, the cross-rank
// agreement check and the README's option table all come from this table. Defaults are the
// in-class values of TrainConfig.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tandem/train/config.hpp"

namespace tandem::train {

struct OptionDef {
  enum class OnResume {
    kFixed,        // must equal the checkpoint's value: another value is another run
    kChangeable,   // may differ (reported): length, learning rate, callbacks, where and how it runs
    kNotInherited  // belongs to one invocation (--model, --resume, --stop-after-steps)
  };
  std::string name;  // without the dashes
  std::string help;
  bool is_switch = false;  // given without a value (--drop-last)
  OnResume on_resume = OnResume::kFixed;
  // Parses text into the field; UsageError naming --name.
  std::function<void(TrainConfig&, const std::string&)> set;
  // The field's canonical text (numbers as a person writes them: "0.05", "1e-5").
  std::function<std::string(const TrainConfig&)> get;

  // The field's value in a default-constructed TrainConfig.
  std::string default_text() const;
};

const std::vector<OptionDef>& train_options();
// nullptr if there is no such option.
const OptionDef* find_train_option(const std::string& name);

// Every option's canonical text: stored with the model, compared across ranks.
std::map<std::string, std::string> option_texts(const TrainConfig& config);

// Sets the named options from text; UsageError for an unknown name or a bad value.
void apply_options(TrainConfig& config, const std::map<std::string, std::string>& values);

// The configuration of `tandem train` from the options given (command line and INI file):
// the defaults overridden by the given values. With `resume` among them, the checkpoint's
// stored options replace the defaults, and a given value may differ from the stored one only
// for changeable options; `changes` lists those ("--lr: 0.02 -> 0.005"). Refused changes are
// one UsageError listing them all.
struct ResolvedOptions {
  TrainConfig config;
  std::vector<std::string> changes;
};
ResolvedOptions resolve_options(const std::map<std::string, std::string>& given);

}  // namespace tandem::train
