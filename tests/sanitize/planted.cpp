// One planted bug per sanitizer, for tests/sanitize/armed_test.sh: a sanitizer build must stop
// on each with the exit code and report tests/sanitize/env.sh asks for, or a clean sanitizer
// run would prove nothing. Built only when TANDEM_SANITIZE is set.
//   planted use-after-free | leak | signed-overflow | race | none
#include <climits>
#include <cstdio>
#include <cstring>
#include <thread>

int* volatile g_block;

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "none";
  if (!std::strcmp(what, "use-after-free")) {
    g_block = new int[4];
    delete[] g_block;
    return g_block[0];  // through the volatile pointer: the compiler cannot see it freed
  }
  if (!std::strcmp(what, "leak")) {
    g_block = new int[4];
    g_block = nullptr;  // the only pointer to the block
  } else if (!std::strcmp(what, "signed-overflow")) {
    volatile int big = INT_MAX;
    volatile int sum = big + argc;
    (void)sum;
  } else if (!std::strcmp(what, "race")) {
    int n = 0;
    std::thread t([&] { ++n; });
    ++n;
    t.join();
    std::printf("n = %d\n", n);
  }
  std::puts("no finding");
  return 0;
}
