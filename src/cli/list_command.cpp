// tandem list KIND [--markdown]: the contents of a registry (ops, losses, ...) or of the train
// option table. The README's keyword tables are this command's --markdown output, and a test
// compares them.
#include <cstdio>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/model/init.hpp"
#include "tandem/ops/losses.hpp"
#include "tandem/ops/registry.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"
#include "tandem/train/options.hpp"

namespace tandem::cli {
namespace {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};

std::string code(const std::string& s) {
  return s.empty() ? "" : "`" + s + "`";
}

std::string with_aliases(const std::string& name, const std::vector<std::string>& aliases) {
  std::string s = code(name);
  for (const auto& a : aliases) s += ", " + code(a);
  return s;
}

Table ops_table() {
  Table t{{"op", "arguments and options", "computes (shapes per sample)"}, {}};
  for (const auto& e : ops::op_registry().entries()) t.rows.push_back({code(e.name), e.arguments, e.summary});
  return t;
}

Table losses_table() {
  Table t{{"loss", "targets", "per-sample loss"}, {}};
  for (const auto& e : ops::loss_registry().entries())
    t.rows.push_back({with_aliases(e.name, e.aliases), ops::describe(e.make()->targets()),
                      e.options.empty() ? e.summary : e.summary + "; options " + e.options});
  return t;
}

Table optimizers_table() {
  Table t{{"optimizer", "update"}, {}};
  for (const auto& e : optim::optimizer_registry().entries()) t.rows.push_back({code(e.name), e.summary});
  return t;
}

Table schedules_table() {
  Table t{{"schedule", "learning rate"}, {}};
  for (const auto& e : optim::schedule_registry().entries()) t.rows.push_back({code(e.name), e.summary});
  return t;
}

Table initializers_table() {
  Table t{{"initializer", "values"}, {}};
  for (const auto& e : model::initializer_registry().entries())
    t.rows.push_back({with_aliases(e.name, e.aliases), e.summary});
  return t;
}

Table options_table() {
  using OnResume = train::OptionDef::OnResume;
  Table t{{"option", "default", "on resume", "meaning"}, {}};
  for (const auto& o : train::train_options()) {
    const char* resume = o.on_resume == OnResume::kChangeable ? "may change"
                         : o.on_resume == OnResume::kFixed    ? "fixed"
                                                              : "not kept";
    t.rows.push_back({"`--" + o.name + "`", o.is_switch ? "off" : code(o.default_text()), resume, o.help});
  }
  return t;
}

Table commands_table() {
  Table t{{"command", "what it does"}, {}};
  for (const auto& e : command_registry().entries()) t.rows.push_back({code("tandem " + e.name), e.summary});
  return t;
}

const std::map<std::string, Table (*)()> kTables = {
    {"ops", ops_table},
    {"losses", losses_table},
    {"optimizers", optimizers_table},
    {"schedules", schedules_table},
    {"initializers", initializers_table},
    {"options", options_table},
    {"commands", commands_table},
};

void print_markdown(const Table& t) {
  auto row = [](const std::vector<std::string>& cells) {
    std::string line = "|";
    for (auto cell : cells) {
      for (size_t p = cell.find('|'); p != std::string::npos; p = cell.find('|', p + 2)) cell.insert(p, "\\");
      line += " " + cell + " |";
    }
    std::cout << line << "\n";
  };
  row(t.headers);
  std::string rule = "|";
  for (size_t i = 0; i < t.headers.size(); ++i) rule += "---|";
  std::cout << rule << "\n";
  for (const auto& r : t.rows) row(r);
}

void print_text(const Table& t) {
  for (const auto& r : t.rows) {
    std::string first = r[0];
    std::erase(first, '`');
    std::printf("%-24s %s\n", first.c_str(), join({r.begin() + 1, r.end()}, "  ").c_str());
  }
}

}  // namespace

int list_command(const std::vector<std::string>& args, dist::Comm& comm) {
  std::string kind;
  bool markdown = false;
  po::options_description desc(
      "tandem list KIND [--markdown]\n\nKIND: ops, losses, optimizers, schedules, initializers, options "
      "(of tandem train) or commands.\n\nOptions");
  desc.add_options()("help,h", "show this help")("kind", po::value(&kind)->required(), "what to list")(
      "markdown", po::bool_switch(&markdown), "as a Markdown table (the README's form)");
  po::positional_options_description positional;
  positional.add("kind", 1);
  const auto p = parse("list", desc, args, false, &positional);
  if (p.help) return print_help(desc, comm);
  const auto it = kTables.find(kind);
  if (it == kTables.end()) {
    std::vector<std::string> kinds;
    for (const auto& [k, fn] : kTables) kinds.push_back(k);
    throw UsageError("cannot list '" + kind + "'; use one of: " + join(kinds, ", "));
  }
  if (!comm.is_root()) return 0;
  const auto table = it->second();
  markdown ? print_markdown(table) : print_text(table);
  return 0;
}

}  // namespace tandem::cli
