// Hostile input against the real binaries: no JSON a guest, an API client or an
// EHR client sends takes a host process down. A guest that breaks the protocol
// (a message nested too deep, a `done` claiming finish() it never called) is
// killed and restarted, the model is told, and the session goes on; `ward serve`
// and `ward ehr serve` answer 400 and stay up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "llm/testing/fake_llm_server.h"
#include "net/http_client.h"
#include "scripted_home.h"
#include "store/store.h"
#include "ward_process.h"
#include "ward_server_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

constexpr int kDeep = 100000;

std::string Nested(const std::string& open, const std::string& inner, const std::string& close) {
  std::string out;
  out.reserve((open.size() + close.size()) * kDeep + inner.size());
  for (int i = 0; i < kDeep; ++i) out += open;
  out += inner;
  for (int i = 0; i < kDeep; ++i) out += close;
  return out;
}

class HostileGuestTest : public ScriptedHomeTest {
 protected:
  // Pushes `code` as the model's first action, then a finish('recovered') that is
  // only given when the model was told the guest broke the protocol.
  void ScriptProtocolBreak(const std::string& code) {
    server_.Push(TextReply("```python\n" + code + "```"));
    server_.Push([](const RecordedRequest& r) {
      if (r.body.find("broke the host protocol") == std::string::npos)
        return TextReply("no observation of the protocol violation");
      return TextReply("```python\nfinish('recovered')\n```");
    });
  }

  void ExpectRecoveredAfterAGuestFailure(const ProcessResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "recovered\n") << r.err;
    auto kinds = AuditKinds();
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "guest_failure"), kinds.end());
  }
};

TEST_F(HostileGuestTest, ACallWithAHundredThousandNestedArgsIsAProtocolViolation) {
  ScriptProtocolBreak(
      "import os\n"
      "line = b'{\"t\":\"call\",\"id\":1,\"name\":\"finish\",\"args\":' + b'{\"a\":' * " +
      std::to_string(kDeep) + " + b'1' + b'}' * " + std::to_string(kDeep) +
      " + b'}\\n'\n"
      "while line:\n"
      "    line = line[os.write(3, line):]\n"
      "os.read(3, 1)\n");
  auto r = RunWard({"run", "--model", "openai:gpt-test", "deep"}, env_);
  ExpectRecoveredAfterAGuestFailure(r);
}

TEST_F(HostileGuestTest, ADoneClaimingFinishWithoutCallingItIsAProtocolViolation) {
  ScriptProtocolBreak(
      "import os, sys\n"
      "action = int(sys._getframe().f_code.co_filename.strip('<>').split()[1])\n"
      "os.write(3, b'{\"t\":\"done\",\"id\":%d,\"finished\":true}\\n' % action)\n"
      "os.read(3, 1)\n");
  auto r = RunWard({"run", "--model", "openai:gpt-test", "forge"}, env_);
  ExpectRecoveredAfterAGuestFailure(r);
}

TEST_F(HostileGuestTest, ADoneWithANonBooleanFinishedIsAProtocolViolation) {
  ScriptProtocolBreak(
      "import os, sys\n"
      "action = int(sys._getframe().f_code.co_filename.strip('<>').split()[1])\n"
      "os.write(3, b'{\"t\":\"done\",\"id\":%d,\"finished\":\"yes\"}\\n' % action)\n"
      "os.read(3, 1)\n");
  auto r = RunWard({"run", "--model", "openai:gpt-test", "forge"}, env_);
  ExpectRecoveredAfterAGuestFailure(r);
}

TEST(HostileClientTest, ServeAnswers400ToDeeplyNestedSessionOptionsAndStaysUp) {
  ServedHome served("hostile_serve");
  RoleTokens tokens = served.AddOneUserPerRole();
  ASSERT_FALSE(served.Serve().empty());
  std::string body =
      R"({"task":"x","model":"openai:m","options":{"mode":)" + Nested("{\"a\":", "1", "}") + "}}";
  ApiReply reply = served.Call("POST", "/api/v1/sessions", body, tokens.approver);
  EXPECT_EQ(reply.status, 400) << reply.body;
  json error = json::parse(reply.body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << reply.body;
  EXPECT_NE(reply.body.find("deeper than"), std::string::npos) << reply.body;
  EXPECT_EQ(served.Call("GET", "/healthz").status, 200);
}

TEST(HostileClientTest, EhrAnswersAnOperationOutcomeToADeeplyNestedBundleAndStaysUp) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ward_hostile_ehr_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  WardProcess ehr({"ehr", "serve", "--port", "0", "--db", (dir / "ehr.db").string()},
                  {{"HOME", dir.string()}});
  std::string line = ehr.ReadLine(60'000);
  size_t at = line.find("http://");
  ASSERT_NE(at, std::string::npos) << "no URL from ward ehr serve: " << line;
  std::string base = line.substr(at);
  std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)"
                       R"({"resourceType":"Patient","name":)" +
                       Nested("[", "", "]") + R"(},"request":{"method":"POST","url":"Patient"}}]})";
  ASSERT_LT(bundle.size(), 250'000u);
  auto http = NewHttpClient();
  HttpRequest post;
  post.method = "POST";
  post.url = base;
  post.body = bundle;
  post.content_type = "application/fhir+json";
  auto reply = http->Send(post);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 400) << reply->body;
  json outcome = json::parse(reply->body, nullptr, false);
  ASSERT_TRUE(outcome.is_object()) << reply->body;
  EXPECT_EQ(outcome.value("resourceType", ""), "OperationOutcome");
  HttpRequest metadata;
  metadata.url = base + "/metadata";
  auto alive = http->Send(metadata);
  ASSERT_TRUE(alive.ok()) << alive.status().ToString();
  EXPECT_EQ(alive->status, 200);
  ehr.Signal(SIGTERM);
  ehr.Wait(10'000);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ward::testing
