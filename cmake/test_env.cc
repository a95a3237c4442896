// Linked into every ward test binary: makes WARD_SOURCE_DIR and WARD_BUILD_DIR
// available to tests (unless the environment already sets them), whether they run
// under ctest or by hand.
#include <cstdlib>

namespace {

struct TestEnvironment {
  TestEnvironment() {
    setenv("WARD_SOURCE_DIR", WARD_TEST_SOURCE_DIR, /*overwrite=*/0);
    setenv("WARD_BUILD_DIR", WARD_TEST_BUILD_DIR, /*overwrite=*/0);
  }
};

const TestEnvironment kTestEnvironment;

}  // namespace
