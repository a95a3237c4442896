// The sandbox through the real `ward` binary: sessions are sandboxed by default
// and say so, a missing required layer (user namespaces taken away, as in a
// container) refuses the session with exit 2, a root ward without user
// namespaces still drops the guest to an unprivileged user,
// --sandbox=none is audited, and `ward doctor --json` reports every layer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "llm/testing/fake_llm_server.h"
#include "scripted_home.h"
#include "store/store.h"
#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

using SandboxCliTest = ScriptedHomeTest;

TEST_F(SandboxCliTest, SessionsAreSandboxedByDefaultAndRecordTheLayers) {
  server_.Push(TextReply(
      "```python\nimport os\nprint('pid', os.getpid(), 'sees', sorted(os.listdir('/')))\n```"));
  server_.Push(TextReply("```python\nfinish('done')\n```"));
  auto r = RunWard({"exec", "--model", "openai:gpt-test", "where am I"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool started = false, observed = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    std::string text = e.dump();
    if (text.find("\"launcher\":\"sandbox\"") != std::string::npos) {
      started = true;
      for (const char* layer : {"mount", "pid", "net", "seccomp", "no_new_privs"})
        EXPECT_NE(text.find(std::string("\"") + layer + "\""), std::string::npos) << layer;
    }
    if (text.find("pid 1 sees") != std::string::npos) {
      observed = true;
      EXPECT_EQ(text.find("home"), std::string::npos) << text;
      EXPECT_NE(text.find("workspace"), std::string::npos) << text;
    }
  }
  EXPECT_TRUE(started) << r.out;
  EXPECT_TRUE(observed) << r.out;
}

// build/tests/without_user_namespaces: ward on a host that refuses user
// namespaces, as under Docker's default seccomp profile.
std::vector<std::string> WithoutUserNamespaces() {
  return {std::string(WARD_TEST_BUILD_DIR) + "/tests/without_user_namespaces"};
}

// The `user` layer as `ward doctor --json` reports it (null when absent).
json UserLayer(const ProcessResult& doctor) {
  json report = json::parse(doctor.out, nullptr, false);
  if (report.is_discarded()) return nullptr;
  for (const auto& layer : report["layers"])
    if (layer["name"] == "user") return layer;
  return nullptr;
}

TEST_F(SandboxCliTest, MissingRequiredLayerRefusesTheSessionWithExit2) {
  json user = UserLayer(RunWardUnder(WithoutUserNamespaces(), {"doctor", "--json"}, env_));
  ASSERT_TRUE(user.is_object());
  ASSERT_FALSE(user["active"].get<bool>()) << "doctor must say the user namespace is missing";
  std::ofstream(home_ / "ward" / "ward.toml") << "[sandbox]\nrequire = [\"mount\", \"user\"]\n";
  auto r = RunWardUnder(WithoutUserNamespaces(), {"run", "--model", "openai:gpt-test", "anything"},
                        env_);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("refusing to start the session"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("user:"), std::string::npos) << r.err;
  EXPECT_TRUE(server_.requests().empty()) << "no model call without the sandbox";
  auto kinds = AuditKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "sandbox_refused"), kinds.end());
}

// Where no user namespace can be made, a root ward still never runs the guest as
// root: it drops to the unprivileged guest uid and gid after setup, and says so.
TEST_F(SandboxCliTest, WithoutUserNamespacesARootWardDropsTheGuestToAnUnprivilegedUser) {
  if (geteuid() != 0)
    GTEST_SKIP() << "ward is not root here: without user namespaces it has no sandbox to drop from";
  auto doctor = RunWardUnder(WithoutUserNamespaces(), {"doctor"}, env_);
  EXPECT_NE(doctor.out.find("uid and gid dropped after setup: no user namespace"),
            std::string::npos)
      << doctor.out;
  server_.Push(TextReply(
      "```python\nimport os\nprint('ids', os.getuid(), os.getgid(), os.geteuid())\n"
      "try:\n    open('/proc/sys/vm/swappiness', 'w').write('10')\n    print('wrote proc')\n"
      "except OSError as e:\n    print('refused', e.errno)\n```"));
  server_.Push(TextReply("```python\nfinish('done')\n```"));
  auto r = RunWardUnder(WithoutUserNamespaces(), {"exec", "--model", "openai:gpt-test", "who am I"},
                        env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ids 2147418112 2147418112 2147418112"), std::string::npos) << r.out;
  // In the observation (JSON): "...\nrefused 30\n" (EROFS), never "...\nwrote proc".
  EXPECT_EQ(r.out.find("\\nwrote proc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\nrefused "), std::string::npos) << r.out;
}

// The session's own workspace (none given) is private to the guest's host user
// while the session runs, and gone after it, also when the session failed.
TEST_F(SandboxCliTest, TheSessionsOwnWorkspaceIsPrivateAndRemovedAfterSuccessAndFailure) {
  std::filesystem::create_directories(home_ / "tmp");
  env_["TMPDIR"] = (home_ / "tmp").string();
  server_.Push(
      TextReply("```python\nimport os\nst = os.stat('/workspace')\n"
                "print('mode', oct(st.st_mode & 0o7777), 'cwd', os.getcwd())\n"
                "open('/workspace/left.txt', 'w').write('x')\nos.mkdir('/workspace/d', 0)\n```"));
  server_.Push(TextReply("```python\nfinish('done')\n```"));
  auto ok = RunWard({"exec", "--model", "openai:gpt-test", "look"}, env_);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("mode 0o700 cwd /workspace"), std::string::npos) << ok.out;
  EXPECT_TRUE(std::filesystem::is_empty(home_ / "tmp")) << "a workspace outlived its session";

  // No reply queued: the model call fails and so does the session.
  server_.Push(TextReply("```python\nopen('/workspace/left.txt', 'w').write('x')\n```"));
  auto failed = RunWard({"run", "--max-steps", "1", "--model", "openai:gpt-test", "fail"}, env_);
  EXPECT_NE(failed.exit_code, 0) << failed.out;
  EXPECT_TRUE(std::filesystem::is_empty(home_ / "tmp")) << "a failed session left its workspace";
}

TEST_F(SandboxCliTest, UnknownLayerInWardTomlIsAUsageError) {
  std::ofstream(home_ / "ward" / "ward.toml") << "[sandbox]\nrequire = [\"mount\", \"moat\"]\n";
  auto r = RunWard({"run", "--model", "openai:gpt-test", "anything"}, env_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("moat"), std::string::npos) << r.err;
}

TEST_F(SandboxCliTest, SandboxNoneRunsUnisolatedAndIsAudited) {
  server_.Push(TextReply("```python\nfinish('plain')\n```"));
  auto r = RunWard({"run", "--sandbox=none", "--model", "openai:gpt-test", "go"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto kinds = AuditKinds();
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.front(), "sandbox_disabled");
}

TEST_F(SandboxCliTest, AHangingGuestIsKilledRestartedAndAuditedAndTheSessionGoesOn) {
  server_.Push(
      // The module name is computed so the static check (defence in depth, tested
      // elsewhere) lets it through: this test is about the sandbox killing the tree.
      TextReply("```python\nimport sys\nsp = __import__('sub' + 'process')\n"
                "sp.Popen([sys.executable, '-c', 'while True: pass'])\n"
                "while True: pass\n```"));
  server_.Push([](const RecordedRequest& r) {
    if (r.body.find("timed out") == std::string::npos &&
        r.body.find("time limit") == std::string::npos &&
        r.body.find("killed") == std::string::npos)
      return TextReply("no observation of the timeout");
    return TextReply("```python\nfinish('recovered')\n```");
  });
  auto r = RunWard({"run", "--action-timeout", "1", "--model", "openai:gpt-test", "spin"}, env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "recovered\n");
  auto kinds = AuditKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "guest_failure"), kinds.end());
}

TEST_F(SandboxCliTest, DoctorJsonListsEveryLayer) {
  auto r = RunWard({"doctor", "--json"}, env_);
  json report = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out << r.err;
  ASSERT_EQ(report["layers"].size(), 15u);
  for (const auto& layer : report["layers"]) {
    EXPECT_TRUE(layer["active"].is_boolean());
    if (!layer["active"].get<bool>()) {
      EXPECT_FALSE(layer["detail"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(r.exit_code, report["ready"].get<bool>() ? 0 : 1);
  auto text = RunWard({"doctor"}, env_);
  EXPECT_NE(text.out.find("seccomp"), std::string::npos);
}

// A connector that cannot be built here (its token variable unset) makes doctor
// fail, naming the connector and the variable — never a secret.
TEST_F(SandboxCliTest, DoctorChecksEveryConnector) {
  std::ofstream(home_ / "ward" / "ward.toml")
      << "[connectors.labs]\ntype = \"fhir\"\nbase_url = \"https://labs.example/fhir\"\n"
         "auth = \"bearer\"\ntoken_env = \"WARD_DOCTOR_TEST_TOKEN\"\n";
  auto r = RunWard({"doctor", "--json"}, env_);
  json report = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out << r.err;
  ASSERT_EQ(report["connectors"].size(), 1u);
  EXPECT_EQ(report["connectors"][0]["name"], "labs");
  EXPECT_FALSE(report["connectors"][0]["ok"].get<bool>());
  EXPECT_NE(report["connectors"][0]["problem"].get<std::string>().find("WARD_DOCTOR_TEST_TOKEN"),
            std::string::npos);
  EXPECT_EQ(r.exit_code, 1);
  env_["WARD_DOCTOR_TEST_TOKEN"] = "t0ps3cret";
  auto fixed = RunWard({"doctor"}, env_);
  EXPECT_NE(fixed.out.find("labs           fhir  https://labs.example/fhir  ok"), std::string::npos)
      << fixed.out;
  EXPECT_EQ(fixed.out.find("t0ps3cret"), std::string::npos);
}

}  // namespace
}  // namespace ward::testing
