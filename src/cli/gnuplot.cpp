#include "gnuplot.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "tandem/core/error.hpp"

namespace tandem::cli {

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void run_gnuplot(const std::filesystem::path& tmp, const std::string& script, const std::string& out) {
  const int rc = std::system(("gnuplot " + quoted(script) + " 2> " + quoted((tmp / "err").string())).c_str());
  std::string err;
  if (rc != 0) {
    std::ifstream e(tmp / "err");
    std::getline(e, err, '\0');
  }
  std::filesystem::remove_all(tmp);
  TANDEM_CHECK(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) != 127,
               "gnuplot is not installed; install it (apt-get install gnuplot-nox) to draw learning curves");
  TANDEM_CHECK(rc == 0, "gnuplot failed drawing '", out, "': ", err);
}

}  // namespace tandem::cli
