// The gate decides on every prepared action (strictest wins) and refuses
// arguments its binding's prepare step refuses before any policy runs; in both
// cases the handler never runs.
#include "gate/gate.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace ward {
namespace {

class NullSink : public EventSink {
 public:
  Result<Event> Emit(const std::string& session, EventBody body) override {
    return Event{session, 0, 0, std::move(body)};
  }
};

PreparedAction Action(const std::string& binding, const std::string& operation) {
  PreparedAction a;
  a.descriptor = ActionDescriptor{"binding", binding, "fhir", operation, "Patient"};
  a.summary = binding;
  return a;
}

class GateUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ward_gate_unit_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto store = OpenSqliteStore((dir_ / "ward.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    audit_ = std::make_unique<AuditLog>(store_.get(), SystemClock::Default(), "tester");
  }
  void TearDown() override {
    audit_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A "fhir.transaction"-like binding whose prepare step yields `prepared`.
  void AddBinding(PreparedCall prepared) {
    Binding b{"fhir.transaction", "transaction(entries)", "", "write",
              [this](const BindingContext&, const std::string&) {
                ++handled_;
                return BindingValue("null");
              }};
    b.prepare = [prepared](const std::string&) { return prepared; };
    ASSERT_TRUE(registry_.Add(std::move(b)).ok());
  }

  GuestCallReply Call(const Policy* policy) {
    GateOptions options;
    options.policy = policy;
    options.store = store_.get();
    Gate gate(&registry_, audit_.get(), &sink_, options);
    return gate.Dispatch(BindingContext{"s1", 1}, GuestCall{"fhir.transaction", "{}"});
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
  NullSink sink_;
  BindingRegistry registry_;
  int handled_ = 0;
};

TEST_F(GateUnitTest, TheStrictestDecisionOverEveryActionCoversTheCall) {
  PreparedCall prepared;
  prepared.actions = {Action("fhir.transaction", "write"), Action("fhir.create", "write"),
                      Action("fhir.delete", "delete")};
  prepared.summary = "a bundle";
  AddBinding(prepared);
  auto policy = Policy::FromToml(
      "[[policy.rule]]\nname = \"writes\"\noperation = \"write\"\ndecision = \"allow\"\n\n"
      "[[policy.rule]]\nname = \"no-deletes\"\nbinding = \"fhir.delete\"\ndecision = \"deny\"\n"
      "reason = \"never\"\n",
      "test.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  GuestCallReply reply = Call(&*policy);
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.error_type, "PermissionDenied");
  EXPECT_NE(reply.error_message.find("no-deletes"), std::string::npos) << reply.error_message;
  EXPECT_EQ(handled_, 0);
}

TEST_F(GateUnitTest, ArgumentsThePrepareStepRefusesNeverReachThePolicyOrTheHandler) {
  PreparedCall prepared;
  prepared.refusal = GuestCallReply{false, "", "ValueError", "id must be a string"};
  AddBinding(prepared);
  auto policy = Policy::FromToml(
      "[[policy.rule]]\nname = \"all\"\nbinding = \"*\"\ndecision = \"allow\"\n", "test.toml");
  ASSERT_TRUE(policy.ok());
  GuestCallReply reply = Call(&*policy);
  EXPECT_EQ(reply.error_type, "ValueError");
  EXPECT_EQ(reply.error_message, "id must be a string");
  EXPECT_EQ(handled_, 0);
  auto entries = store_->ListAudit(0, 0);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_NE((*entries)[0].body.find("\"rule\":\"arguments\""), std::string::npos)
      << (*entries)[0].body;
}

}  // namespace
}  // namespace ward
