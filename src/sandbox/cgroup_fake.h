// Test-only: a fake cgroup world in a temp folder — mountinfo and
// /proc/self/cgroup files that CgroupSources point at, and mounts that are plain
// folders — so cgroup code can be tested without root.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sandbox/cgroups.h"

namespace ward {

inline std::string SlurpFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class FakeCgroupHierarchy : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("ward-cgroups-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    sources_.mountinfo = (root_ / "mountinfo").string();
    sources_.cgroup = (root_ / "cgroup").string();
    sources_.name = "ward-test";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // One mountinfo line for a fake mount of `type` at root_/dir (made here).
  std::string Mount(const std::string& dir, const std::string& type, const std::string& opts) {
    std::filesystem::create_directories(root_ / dir);
    return "40 31 0:33 / " + (root_ / dir).string() + " rw - " + type + " " + type + " " + opts +
           "\n";
  }

  std::filesystem::path root_;
  CgroupSources sources_;
};

}  // namespace ward
