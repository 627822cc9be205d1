# TANDEM_SANITIZE: a comma list of GCC/clang sanitizers for the whole build, e.g.
# "address,undefined" (launch/test.sh --sanitize, build-asan) or "thread" (--sanitize=thread,
# build-tsan). Empty (the default) builds without. A sanitizer build:
# - compiles and links everything with -fsanitize=LIST -fno-omit-frame-pointer at -O1 (fast
#   enough to run the suite, little inlining hiding the frames of a report) and -g1 (line
#   tables: reports name file and line; full -g costs a quarter more compile time);
# - adds float-cast-overflow to "undefined" and makes every UndefinedBehaviorSanitizer
#   finding fatal (-fno-sanitize-recover=all), so that a test fails on it instead of going on;
# - leaves out -Wmaybe-uninitialized (its false positives under instrumentation; below);
# - defines TANDEM_SANITIZE_BUILD: core/multiversion.hpp then compiles one version of the
#   multiversioned loops (the clones' ifunc resolvers run before a sanitizer's runtime);
# - exports the link option with tandem::core, so that a program built against an installed
#   sanitizer build (tests/package) links the sanitizer runtime too.
# The run-time options and suppressions are in tests/sanitize/ (README "Sanitizers").
set(TANDEM_SANITIZE "" CACHE STRING "Sanitizers for the whole build: address,undefined or thread (empty: none)")
if(TANDEM_SANITIZE)
  if(TANDEM_SANITIZE MATCHES "thread" AND TANDEM_SANITIZE MATCHES "address")
    message(FATAL_ERROR "TANDEM_SANITIZE=${TANDEM_SANITIZE}: ThreadSanitizer cannot be combined with "
                        "AddressSanitizer; build them in separate directories (launch/test.sh --sanitize "
                        "and --sanitize=thread)")
  endif()
  if(TANDEM_NATIVE)
    message(FATAL_ERROR "TANDEM_SANITIZE and TANDEM_NATIVE together: a sanitizer build is for tests, "
                        "leave TANDEM_NATIVE off")
  endif()
  set(TANDEM_SANITIZE_FLAGS -fsanitize=${TANDEM_SANITIZE} -fno-omit-frame-pointer)
  if(TANDEM_SANITIZE MATCHES "undefined")
    # GCC's "undefined" leaves out float-cast-overflow: a NaN or out-of-range float converted
    # to an integer (an index, a count from a loss or a rate) is undefined behaviour too.
    list(APPEND TANDEM_SANITIZE_FLAGS -fsanitize=float-cast-overflow -fno-sanitize-recover=all)
  endif()
  # GCC warns that sanitizer instrumentation makes -Wmaybe-uninitialized report false positives
  # (GCC 12 in std::regex's automaton, reached through GoogleTest's matchers, under -O1 with ASan);
  # the normal build keeps the warning, as an error.
  add_compile_options(${TANDEM_SANITIZE_FLAGS} -O1 -g1 -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=${TANDEM_SANITIZE})
  add_compile_definitions(TANDEM_SANITIZE_BUILD)
  message(STATUS "tandem: sanitizers ${TANDEM_SANITIZE} (-O1 -g1)")
endif()
