#include "gate/validate.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ward {
namespace {

namespace fs = std::filesystem;

std::string GuestDir() {
  const char* build = getenv("WARD_BUILD_DIR");
  return build ? std::string(build) + "/guest" : std::string("guest");
}

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ward_validate_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<CodeValidator> Make(const std::string& python = "/usr/bin/python3",
                                      const ValidationRules& rules = {},
                                      const CodeValidatorOptions& options = {}) {
    auto v = NewCodeValidator(python, GuestDir(), rules, options);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : nullptr;
  }

  // A stand-in for python: a shell script with the given body.
  std::string Script(const std::string& name, const std::string& body) {
    fs::path path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
    return path.string();
  }

  // A python that records each start's pid (one line per start) in dir_/pids.
  std::string PidRecordingPython() {
    return Script("python",
                  "echo $$ >> '" + (dir_ / "pids").string() + "'\nexec /usr/bin/python3 \"$@\"\n");
  }

  std::vector<int> Pids() {
    std::vector<int> pids;
    std::ifstream in(dir_ / "pids");
    for (int pid; in >> pid;) pids.push_back(pid);
    return pids;
  }

  static ValidationResult Check(CodeValidator& v, const std::string& code) {
    auto r = v.Validate(code);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ValidationResult{true, "checker error: " + r.status().ToString()};
  }

  fs::path dir_;
};

TEST_F(ValidateTest, InnocentCodePasses) {
  auto v = Make();
  ASSERT_TRUE(v);
  for (const char* code : {
           "x = 1\nprint(x)\n",
           "import os\nprint(os.path.join('a', 'b'), os.getcwd())\n",
           "import json, re\nfrom datetime import date\n",
           "s = 'import ctypes; os.system(1)'  # import subprocess\n",
           "class C:\n    def system(self):\n        pass\nC().system()\n",
           "my.os.system('x')\n",
           "from . import ctypes\n",
           "",
       }) {
    auto r = Check(*v, code);
    EXPECT_TRUE(r.ok) << code << " → " << r.message;
    EXPECT_EQ(r.message, "") << code;
  }
}

TEST_F(ValidateTest, SyntaxErrorsGiveLineAndColumn) {
  auto v = Make();
  ASSERT_TRUE(v);
  auto r = Check(*v, "x = 1\ny = 2 +* 3\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message.rfind("line 2, column 8: SyntaxError: invalid syntax", 0), 0u) << r.message;
  EXPECT_NE(r.message.find("y = 2 +* 3"), std::string::npos) << r.message;
  r = Check(*v, "if x:\nprint(1)\n");
  EXPECT_EQ(r.message.rfind("line 2, column 1: IndentationError", 0), 0u) << r.message;
  r = Check(*v, std::string(500, '('));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("too many nested parentheses"), std::string::npos) << r.message;
  r = Check(*v, std::string(100'000, '-') + "1");
  EXPECT_FALSE(r.ok) << "a pathological expression is refused, not crashed on";
}

TEST_F(ValidateTest, ForbiddenImportsInEveryForm) {
  auto v = Make();
  ASSERT_TRUE(v);
  struct Case {
    const char* code;
    const char* expect;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"import ctypes", "line 1, column 1: import of ctypes is not allowed"},
           {"x = 1\nimport os, ctypes.util as cu", "line 2, column 1: import of ctypes.util"},
           {"from subprocess import run", "import of subprocess is not allowed"},
           {"from socket import *", "import of socket is not allowed"},
           {"def f():\n    import socket as s\n", "line 2, column 5: import of socket"},
           {"__import__('ctypes')", "line 1, column 1: import of ctypes"},
           {"m = __import__(\"subprocess\").run", "line 1, column 5: import of subprocess"},
           {"import importlib\nimportlib.import_module('ctypes')",
            "line 2, column 1: import of ctypes"},
           {"from importlib import import_module as im\nim('socket.x')", "import of socket.x"},
       }) {
    auto r = Check(*v, c.code);
    EXPECT_FALSE(r.ok) << c.code;
    EXPECT_NE(r.message.find(c.expect), std::string::npos) << c.code << " → " << r.message;
  }
}

TEST_F(ValidateTest, ForbiddenCallsThroughAliasesAndWildcards) {
  auto v = Make();
  ASSERT_TRUE(v);
  struct Case {
    const char* code;
    const char* expect;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"import os\nos.system('ls')", "line 2, column 1: os.system is not allowed"},
           {"import os as o\no.popen('ls')", "line 2, column 1: os.popen is not allowed"},
           {"from os import system\n", "line 1, column 1: os.system is not allowed"},
           {"from os import system as run\nrun('ls')", "line 2, column 1: os.system"},
           {"import os\nos.execvp('sh', ['sh'])", "os.execvp is not allowed"},
           {"import os\nx = 1; os.spawnl(0, 'a')", "line 2, column 8: os.spawnl"},
           {"import os\npid = os.fork()", "line 2, column 7: os.fork"},
           {"from os import *\nexecv('a', [])", "line 2, column 1: os.execv"},
           {"import os\nf = os.system\nf('ls')", "line 2, column 5: os.system"},
           {"import os\ngetattr(os, 'system')('ls')", "line 2, column 1: os.system"},
       }) {
    auto r = Check(*v, c.code);
    EXPECT_FALSE(r.ok) << c.code;
    EXPECT_NE(r.message.find(c.expect), std::string::npos) << c.code << " → " << r.message;
  }
}

TEST_F(ValidateTest, EveryFindingIsReportedInOrder) {
  auto v = Make();
  ASSERT_TRUE(v);
  auto r = Check(*v, "import os\nos.system('a')\nimport ctypes\n");
  EXPECT_EQ(r.message,
            "line 2, column 1: os.system is not allowed\n"
            "line 3, column 1: import of ctypes is not allowed");
}

TEST_F(ValidateTest, RulesAreConfigurable) {
  ValidationRules rules;
  rules.forbid_imports = {"requests"};
  rules.forbid_calls = {"eval", "exec"};
  auto v = Make("/usr/bin/python3", rules);
  ASSERT_TRUE(v);
  EXPECT_TRUE(Check(*v, "import ctypes\nimport os\nos.system('x')").ok);
  EXPECT_FALSE(Check(*v, "import requests.adapters").ok);
  EXPECT_NE(Check(*v, "x = eval('1')").message.find("eval is not allowed"), std::string::npos);
}

TEST_F(ValidateTest, TheCodeIsNeverRun) {
  auto v = Make();
  ASSERT_TRUE(v);
  fs::path marker = dir_ / "marker";
  std::string code = "open('";
  code += marker.string();
  code += "', 'w').write('ran')\n";
  EXPECT_TRUE(Check(*v, code).ok);
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(ValidateTest, OversizedCodeFailsWithoutTheChecker) {
  CodeValidatorOptions options;
  options.max_code_bytes = 100;
  auto v = Make("/usr/bin/python3", {}, options);
  ASSERT_TRUE(v);
  auto r = Check(*v, std::string(101, 'x'));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "the code action is 101 bytes; at most 100 are allowed");
}

TEST_F(ValidateTest, OneCheckerServesEveryCall) {
  auto v = Make(PidRecordingPython());
  ASSERT_TRUE(v);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(Check(*v, "x = " + std::to_string(i)).ok);
  EXPECT_EQ(Pids().size(), 1u);
}

TEST_F(ValidateTest, AKilledCheckerIsRestarted) {
  auto v = Make(PidRecordingPython());
  ASSERT_TRUE(v);
  EXPECT_TRUE(Check(*v, "x = 1").ok);
  ASSERT_EQ(Pids().size(), 1u);
  ASSERT_EQ(kill(Pids()[0], SIGKILL), 0);
  EXPECT_FALSE(Check(*v, "import ctypes").ok);
  ASSERT_EQ(Pids().size(), 2u);
  EXPECT_NE(Pids()[0], Pids()[1]);
  EXPECT_TRUE(Check(*v, "x = 2").ok);
  EXPECT_EQ(Pids().size(), 2u);
}

TEST_F(ValidateTest, ACheckerThatDiesOnEveryRequestIsAnError) {
  std::string python = Script("python", "echo '{\"ready\":true}' >&3\nread line <&3\nexit 3\n");
  auto v = Make(python);
  ASSERT_TRUE(v);
  auto r = v->Validate("x = 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("exited with status 3"), std::string::npos)
      << r.status().ToString();
}

TEST_F(ValidateTest, ASilentCheckerTimesOut) {
  std::string python = Script("python", "echo '{\"ready\":true}' >&3\nexec sleep 60\n");
  CodeValidatorOptions options;
  options.timeout_ms = 200;
  auto v = Make(python, {}, options);
  ASSERT_TRUE(v);
  auto start = std::chrono::steady_clock::now();
  auto r = v->Validate("x = 1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(ValidateTest, ACheckerThatCannotStartIsAnError) {
  auto missing = NewCodeValidator((dir_ / "no-python").string(), GuestDir(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("did not start"), std::string::npos);
  auto wrong_dir = NewCodeValidator("/usr/bin/python3", dir_.string(), {});
  EXPECT_FALSE(wrong_dir.ok());
}

TEST_F(ValidateTest, ASharedValidatorServesManyThreadsWithAtMostItsCheckers) {
  auto shared = NewSharedCodeValidator(PidRecordingPython(), GuestDir(), {}, 2, {});
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(Pids().size(), 1u);  // one checker is started up front
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        bool forbidden = (t + i) % 2 == 0;
        auto r = (*shared)->Validate(forbidden ? "import socket" : "x = " + std::to_string(i));
        if (r.ok() && r->ok == !forbidden) ++right;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(right.load(), 60);
  EXPECT_GE(Pids().size(), 1u);
  EXPECT_LE(Pids().size(), 2u);
}

TEST_F(ValidateTest, ASharedValidatorThatCannotStartACheckerIsAnError) {
  auto missing = NewSharedCodeValidator((dir_ / "no-python").string(), GuestDir(), {}, 2, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
}

TEST_F(ValidateTest, MedianLatencyOfATwentyLineAction) {
  auto v = Make();
  ASSERT_TRUE(v);
  std::string code;
  for (int i = 0; i < 10; ++i)
    code += "rows_" + std::to_string(i) + " = fhir.search('Observation', patient='123')\n" +
            "print(len(rows_" + std::to_string(i) + "))\n";
  std::vector<double> us;
  for (int i = 0; i < 200; ++i) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(Check(*v, code).ok);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(us.begin(), us.end());
  printf("Validate() of a 20-line action: median %.0f us, p99 %.0f us (n=200)\n", us[100], us[197]);
}

}  // namespace
}  // namespace ward
