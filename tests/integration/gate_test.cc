// The gate end to end: policy, approvals from a second process, the two-person
// rule, expiry, rollback, dry-run changesets and write budgets — the real ward
// binary, a scripted model and the real embedded EHR.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "gate_fixture.h"

namespace ward::testing {
namespace {

using nlohmann::json;

TEST_F(GateTest, WriteNeedsApprovalAndIsApprovedFromASecondProcess) {
  WardProcess run({"run", "--model",
                   "scripted:" + Transcript({"p = fhir.create({'resourceType': 'Patient', "
                                             "'name': [{'family': 'Approved'}]})\n"
                                             "print(p['id'])",
                                             "finish('created')"}),
                   "create a patient"},
                  env_);
  json pending = WaitForPendingApproval();
  if (!pending.is_object()) {
    run.Signal(SIGTERM);
    auto r = run.Wait(10'000);
    FAIL() << "no approval was requested; ward run said:\n" << r.err;
  }
  EXPECT_EQ(pending["summary"], "fhir.create Patient");
  EXPECT_EQ(pending["action"]["after"]["name"][0]["family"], "Approved");
  std::string password = AddWardUser("dr-approver", "approver");
  auto ok = RunWard({"approve", pending["id"], "--as", "dr-approver", "--hash", pending["hash"]},
                    env_, 60'000, password);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto r = run.Wait(30'000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created\n");
  EXPECT_NE(r.err.find("approval"), std::string::npos);
  auto decided = AuditEntries("approval_decided");
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_EQ(decided[0]["data"]["by"], "dr-approver");
}

TEST_F(GateTest, DenialReachesTheModelAsPermissionDenied) {
  WardProcess run(
      {"run", "--model",
       "scripted:" + Transcript({"try:\n    fhir.delete('Patient', "
                                 "'963dabe4-84e7-4751-b432-e34bdbdbde05')\n"
                                 "except PermissionDenied as e:\n    print('denied:', e)",
                                 "finish('ok')"}),
       "delete"},
      env_);
  json pending = WaitForPendingApproval();
  ASSERT_TRUE(pending.is_object());
  EXPECT_EQ(RunWard({"deny", pending["id"], "--reason", "never delete patients"}, env_).exit_code,
            0);
  auto r = run.Wait(30'000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("denied: fhir.delete Patient/963dabe4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("never delete patients"), std::string::npos) << r.err;
}

TEST_F(GateTest, ApprovalForADifferentHashDoesNotApply) {
  WardProcess run(
      {"run", "--model",
       "scripted:" + Transcript({"fhir.create({'resourceType': 'Patient'})", "finish('x')"}),
       "create"},
      env_);
  json pending = WaitForPendingApproval();
  ASSERT_TRUE(pending.is_object());
  auto wrong = RunWard({"approve", pending["id"], "--hash", std::string(64, 'a')}, env_);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("does not apply"), std::string::npos) << wrong.err;
  EXPECT_EQ(RunWard({"deny", pending["id"]}, env_).exit_code, 0);
  run.Wait(30'000);
}

TEST_F(GateTest, TwoPersonRuleRefusesTheRequesterAndExpiryDenies) {
  WriteToml("[gate]\nrequire_distinct_approver = true\napproval_ttl_minutes = 0\n");
  WardProcess run({"run", "--actor", "alice", "--model",
                   "scripted:" + Transcript({"try:\n    fhir.create({'resourceType': 'Patient'})\n"
                                             "except PermissionDenied as e:\n    print('no:', e)",
                                             "finish('x')"}),
                   "create"},
                  env_);
  auto r = run.Wait(30'000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("expired"), std::string::npos) << r.err;
  auto list = RunWard({"approvals", "list", "--all", "--json"}, env_);
  json all = json::parse(list.out);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["state"], "expired");
  EXPECT_EQ(all[0]["requested_by"], OsUser());
}

// `--actor` is a claim: the two-person rule compares the OS user who started the
// session with the one approving, and `--as` needs that ward user's password.
TEST_F(GateTest, TwoPersonRuleComparesVerifiedIdentitiesNotClaims) {
  WriteToml("[gate]\nrequire_distinct_approver = true\n");
  WardProcess run({"run", "--actor", "alice", "--model",
                   "scripted:" + Transcript({"try:\n    fhir.create({'resourceType': 'Patient'})\n"
                                             "    print('created')\n"
                                             "except PermissionDenied as e:\n    print('no:', e)",
                                             "finish('x')"}),
                   "create"},
                  env_);
  json pending = WaitForPendingApproval();
  ASSERT_TRUE(pending.is_object());
  EXPECT_EQ(pending["requested_by"], OsUser());
  // The same OS user, whatever the session claimed, is not a second person.
  auto same = RunWard({"approve", pending["id"]}, env_);
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_NE(same.err.find("needs a second person"), std::string::npos) << same.err;
  // Naming someone else without their password approves nothing.
  std::string wrong = (home_ / "wrong.password").string();
  std::ofstream(wrong) << "not-bobs-password\n";
  AddWardUser("bob", "approver");
  auto forged = RunWard({"approve", pending["id"], "--as", "bob"}, env_, 60'000, wrong);
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_NE(forged.err.find("wrong user name or password"), std::string::npos) << forged.err;
  auto nobody = RunWard({"approve", pending["id"], "--as", "carol"}, env_, 60'000, wrong);
  EXPECT_EQ(nobody.exit_code, 1);
  // A viewer, even with the right password, may not decide.
  std::string viewer = AddWardUser("vic", "viewer");
  EXPECT_EQ(RunWard({"approve", pending["id"], "--as", "vic"}, env_, 60'000, viewer).exit_code, 1);
  // The second person, verified, does.
  std::string bob = (home_ / "bob.password").string();
  auto ok = RunWard({"approve", pending["id"], "--as", "bob"}, env_, 60'000, bob);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto r = run.Wait(30'000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("created"), std::string::npos) << r.err;
  auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["actor"], OsUser());
  EXPECT_EQ(sessions[0]["claimed_actor"], "alice");
  auto decided = AuditEntries("approval_decided");
  ASSERT_EQ(decided.size(), 1u);
  EXPECT_EQ(decided[0]["data"]["by"], "bob");
}

// `kill -9` of `ward run` while an approval waits: the session is interrupted
// wherever it is listed, its approval closes and cannot be approved, the audit
// log records it, and the temporary workspace it left is removed.
TEST_F(GateTest, AKilledRunIsInterruptedAndItsApprovalCloses) {
  std::filesystem::create_directories(home_ / "tmp");
  env_["TMPDIR"] = (home_ / "tmp").string();
  WardProcess run(
      {"run", "--model",
       "scripted:" + Transcript({"fhir.create({'resourceType': 'Patient'})", "finish('x')"}),
       "create"},
      env_);
  json pending = WaitForPendingApproval();
  ASSERT_TRUE(pending.is_object());
  run.Signal(SIGKILL);
  EXPECT_EQ(run.Wait(10'000).exit_code, 128 + SIGKILL);
  EXPECT_FALSE(std::filesystem::is_empty(home_ / "tmp")) << "the killed run left no workspace?";

  auto list = RunWard({"sessions", "list", "--json"}, env_);
  EXPECT_TRUE(std::filesystem::is_empty(home_ / "tmp")) << "the killed run's workspace is left";
  json sessions = json::parse(list.out);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["status"], "interrupted");
  EXPECT_NE(sessions[0]["reason"].get<std::string>().find("ended"), std::string::npos);
  auto open = json::parse(RunWard({"approvals", "list", "--json"}, env_).out);
  EXPECT_TRUE(open.empty()) << open.dump();
  auto approve = RunWard({"approve", pending["id"]}, env_);
  EXPECT_EQ(approve.exit_code, 1);
  EXPECT_NE(approve.err.find("closed"), std::string::npos) << approve.err;
  auto all = json::parse(RunWard({"approvals", "list", "--all", "--json"}, env_).out);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["state"], "closed");
  EXPECT_EQ(AuditEntries("session_interrupted").size(), 1u);
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 0);
}

TEST_F(GateTest, PolicyDenyAndRulesNamedInTheAudit) {
  WriteToml(
      "[[policy.rule]]\nname = \"no-observation-reads\"\nbinding = \"fhir.search\"\n"
      "resource_type = \"Observation\"\ndecision = \"deny\"\nreason = \"labs are off limits\"\n");
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    fhir.search('Observation', _count=1)\n"
                                              "except PermissionDenied as e:\n    print(e)",
                                              "finish(len(fhir.search('Patient', _count=1)) > 0)"}),
                    "x"},
                   env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("labs are off limits"), std::string::npos) << r.err;
  auto calls = AuditEntries("binding_call");
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0]["data"]["decision"], "deny");
  EXPECT_EQ(calls[0]["data"]["rule"], "no-observation-reads");
  EXPECT_EQ(calls[1]["data"]["rule"], "default");
}

TEST_F(GateTest, RollbackRestoresPriorResourcesAndStopsOnConflict) {
  std::string keep = CreatePatientDirectly("Keep");
  auto r =
      RunWard({"run", "--policy", (home_ / "allow.toml").string(), "--model",
               "scripted:" + Transcript({"p = fhir.read('Patient', '" + keep +
                                             "')\n"
                                             "p['gender'] = 'female'\nfhir.update(p)\n"
                                             "n = fhir.create({'resourceType': 'Patient', 'name': "
                                             "[{'family': 'New'}]})",
                                         "finish(n['id'])"}),
               "edit"},
              env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string created = r.out.substr(0, r.out.size() - 1);
  auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
  std::string session = sessions[0]["id"];
  auto dry = RunWard({"rollback", session, "--dry-run"}, env_);
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("planned"), std::string::npos) << dry.out;
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  auto check = RunWard({"run", "--policy", (home_ / "allow.toml").string(), "--model",
                        "scripted:" + Transcript({"p = fhir.read('Patient', '" + keep +
                                                  "')\n"
                                                  "try:\n    fhir.read('Patient', '" +
                                                  created +
                                                  "')\n    gone = False\nexcept FhirError:\n"
                                                  "    gone = True\n"
                                                  "finish(f\"{p.get('gender')}|{gone}\")"}),
                        "check"},
                       env_);
  EXPECT_EQ(check.out, "None|True\n") << check.err;
  EXPECT_EQ(RunWard({"rollback", session}, env_).out.find("nothing to roll back"), 0u);
}

TEST_F(GateTest, RollbackConflictChangesNothingMore) {
  std::string id = CreatePatientDirectly("Conflict");
  std::string allow = (home_ / "allow.toml").string();
  auto r = RunWard({"run", "--policy", allow, "--model",
                    "scripted:" + Transcript({"fhir.create({'resourceType': 'Patient', 'name': "
                                              "[{'family': 'Mine'}]})\n"
                                              "p = fhir.read('Patient', '" +
                                                  id +
                                                  "')\n"
                                                  "p['gender'] = 'male'\nfhir.update(p)",
                                              "finish('ok')"}),
                    "edit"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string session = json::parse(RunWard({"sessions", "list", "--json"}, env_).out)[0]["id"];
  // Someone else edits the same patient afterwards.
  auto other = RunWard({"run", "--home", (home_ / "other").string(), "--policy", allow, "--model",
                        "scripted:" + Transcript({"p = fhir.read('Patient', '" + id +
                                                  "')\n"
                                                  "p['gender'] = 'other'\nfhir.update(p)\n"
                                                  "finish('edited')"}),
                        "other"},
                       env_);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 1);
  EXPECT_NE(undo.out.find("conflict"), std::string::npos) << undo.out;
  EXPECT_NE(undo.out.find("the session left version 2 but the server now has version 3"),
            std::string::npos)
      << undo.out;
  // The create (earlier in the session) was not undone: rollback stopped at the conflict.
  EXPECT_EQ(undo.out.find("undone"), std::string::npos) << undo.out;
}

// Undoing a delete puts the pre-image back only when the session's deletion is still
// the resource's latest version: here someone re-created it and deleted it again.
TEST_F(GateTest, RollbackOfADeleteStopsWhenTheResourceWasRecreatedSince) {
  std::string id = CreatePatientDirectly("Recreated");
  std::string allow = (home_ / "allow.toml").string();
  auto r = RunWard(
      {"run", "--policy", allow, "--model",
       "scripted:" + Transcript({"fhir.delete('Patient', '" + id + "')\nfinish('deleted')"}),
       "delete"},
      env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string session = json::parse(RunWard({"sessions", "list", "--json"}, env_).out)[0]["id"];
  auto other =
      RunWard({"run", "--home", (home_ / "other").string(), "--policy", allow, "--model",
               "scripted:" + Transcript({"fhir.update({'resourceType': 'Patient', 'id': '" + id +
                                         "', 'name': [{'family': 'Someone else'}]})\n"
                                         "fhir.delete('Patient', '" +
                                         id + "')\nfinish('again')"}),
               "other"},
              env_);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 1) << undo.out;
  EXPECT_NE(undo.out.find("the session left version 2 (deleted) but the server now has "
                          "version 4 (deleted)"),
            std::string::npos)
      << undo.out;
  EXPECT_FALSE(PatientExists(id)) << "the rollback restored a resource someone else had removed";
}

TEST_F(GateTest, RollbackOnFailureUndoesAFailedSessionsWrites) {
  auto r = RunWard({"run", "--rollback-on-failure", "--max-steps", "1", "--policy",
                    (home_ / "allow.toml").string(), "--model",
                    "scripted:" + Transcript({"p = fhir.create({'resourceType': 'Patient', "
                                              "'name': [{'family': 'Failing'}]})\n"
                                              "print('created', p['id'])"}),
                    "fail after a write"},
                   env_);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  size_t at = r.err.find("created ");
  ASSERT_NE(at, std::string::npos) << r.err;
  std::string id = r.err.substr(at + 8, r.err.find('\n', at) - at - 8);
  EXPECT_NE(r.err.find("step budget exhausted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ward ▸ rollback: undone fhir Patient/" + id), std::string::npos) << r.err;
  EXPECT_FALSE(PatientExists(id)) << "Patient/" << id << " survived the rollback";
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["data"]["outcome"], "undone");
}

TEST_F(GateTest, AStoppedRollbackResumesWhereItStopped) {
  std::string allow = (home_ / "allow.toml").string();
  auto r = RunWard({"run", "--policy", allow, "--model",
                    "scripted:" + Transcript({"a = fhir.create({'resourceType': 'Patient', "
                                              "'name': [{'family': 'First'}]})\n"
                                              "b = fhir.create({'resourceType': 'Patient', "
                                              "'name': [{'family': 'Second'}]})\n"
                                              "finish(a['id'] + ' ' + b['id'])"}),
                    "two creates"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string first = r.out.substr(0, r.out.find(' '));
  std::string second = r.out.substr(r.out.find(' ') + 1, r.out.size() - r.out.find(' ') - 2);
  std::string session = json::parse(RunWard({"sessions", "list", "--json"}, env_).out)[0]["id"];
  // Someone else edits the first patient: the rollback undoes the second, then stops.
  std::string edit = "p = fhir.read('Patient', '" + first +
                     "')\np['gender'] = 'other'\nfhir.update(p)\nfinish('edited')";
  ASSERT_EQ(RunWard({"run", "--home", (home_ / "other").string(), "--policy", allow, "--model",
                     "scripted:" + Transcript({edit}), "edit"},
                    env_)
                .exit_code,
            0);
  auto stopped = RunWard({"rollback", session}, env_);
  EXPECT_EQ(stopped.exit_code, 1) << stopped.out;
  EXPECT_NE(stopped.out.find("conflict"), std::string::npos) << stopped.out;
  EXPECT_FALSE(PatientExists(second));
  EXPECT_TRUE(PatientExists(first));
  // They then remove their version; the resumed rollback takes up only the first
  // patient — the second, already undone, is not touched again.
  std::string remove = "fhir.delete('Patient', '" + first + "')\nfinish('removed')";
  ASSERT_EQ(RunWard({"run", "--home", (home_ / "other").string(), "--policy", allow, "--model",
                     "scripted:" + Transcript({remove}), "remove"},
                    env_)
                .exit_code,
            0);
  size_t before = AuditEntries("rollback_step").size();
  auto resumed = RunWard({"rollback", session}, env_);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), before + 1) << resumed.out;
  EXPECT_EQ(steps.back()["data"]["resource"], "Patient/" + first);
  EXPECT_EQ(steps.back()["data"]["outcome"], "already undone");
  EXPECT_EQ(RunWard({"rollback", session}, env_).out.find("nothing to roll back"), 0u);
}

TEST_F(GateTest, DryRunRecordsAChangesetThatApplies) {
  std::string allow = (home_ / "allow.toml").string();
  auto r = RunWard({"run", "--dry-run", "--policy", allow, "--model",
                    "scripted:" + Transcript({"p = fhir.create({'resourceType': 'Patient', "
                                              "'name': [{'family': 'DryRun'}]})\n"
                                              "o = fhir.create({'resourceType': 'Observation', "
                                              "'status': 'final', 'code': {'text': 'note'}, "
                                              "'subject': {'reference': 'Patient/' + p['id']}})\n"
                                              "finish(p['id'])"}),
                    "plan"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "dryrun-1\n");
  std::string session = json::parse(RunWard({"sessions", "list", "--json"}, env_).out)[0]["id"];
  auto show = RunWard({"changeset", "show", session}, env_);
  EXPECT_NE(show.out.find("+ name: [{\"family\":\"DryRun\"}]"), std::string::npos) << show.out;
  auto found = RunWard({"run", "--policy", allow, "--model",
                        "scripted:" + Transcript({"finish(len(fhir.search('Patient', "
                                                  "family='DryRun')))"}),
                        "count"},
                       env_);
  EXPECT_EQ(found.out, "0\n") << "a dry run must not write";
  auto apply = RunWard({"changeset", "apply", session, "--policy", allow}, env_);
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("applied fhir.create Patient/"), std::string::npos) << apply.out;
  auto after =
      RunWard({"run", "--policy", allow, "--model",
               "scripted:" + Transcript({"p = fhir.search('Patient', family='DryRun')[0]\n"
                                         "o = fhir.search('Observation', patient=p['id'])\n"
                                         "finish(len(o))"}),
               "count"},
              env_);
  EXPECT_EQ(after.out, "1\n") << after.err;
}

TEST_F(GateTest, ApplyIsRefusedOnDrift) {
  std::string id = CreatePatientDirectly("Drift");
  std::string allow = (home_ / "allow.toml").string();
  auto r = RunWard({"run", "--dry-run", "--policy", allow, "--model",
                    "scripted:" + Transcript({"p = fhir.read('Patient', '" + id +
                                              "')\n"
                                              "p['gender'] = 'female'\nfhir.update(p)\n"
                                              "finish('planned')"}),
                    "plan"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string session = json::parse(RunWard({"sessions", "list", "--json"}, env_).out)[0]["id"];
  CreatePatientDirectly("Unrelated");
  RunWard({"run", "--home", (home_ / "other").string(), "--policy", allow, "--model",
           "scripted:" + Transcript({"p = fhir.read('Patient', '" + id +
                                     "')\n"
                                     "p['gender'] = 'male'\nfhir.update(p)\nfinish('x')"}),
           "move on"},
          env_);
  auto apply = RunWard({"changeset", "apply", session, "--policy", allow}, env_);
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_NE(apply.err.find("nothing was applied"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("the dry run saw version 1, the server now has 2"), std::string::npos)
      << apply.err;
}

TEST_F(GateTest, WriteBudgetEndsTheSessionAfterTheCurrentCall) {
  auto r =
      RunWard({"run", "--max-writes", "1", "--policy", (home_ / "allow.toml").string(), "--model",
               "scripted:" + Transcript({"fhir.create({'resourceType': 'Patient'})\n"
                                         "try:\n    fhir.create({'resourceType': 'Patient'})\n"
                                         "except PermissionDenied as e:\n    print(e)",
                                         "finish('never')"}),
               "x"},
              env_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("write budget exhausted: 1 writes"), std::string::npos) << r.err;
}

// Every session budget ends the session as failed with its reason once the current
// action is done — the write it was making completes and is audited, nothing after it
// runs. Each case's first reply makes a write and reports model usage.
struct BudgetCase {
  std::string name;
  std::vector<std::string> flags;
  std::string usage;        // the first reply's "usage" object
  std::string code_prefix;  // runs before the write
  bool priced = false;      // write [prices] for the scripted model
  std::string reason;       // expected in stderr
};

void PrintTo(const BudgetCase& c, std::ostream* os) { *os << c.name; }

class BudgetTest : public GateTest, public ::testing::WithParamInterface<BudgetCase> {};

TEST_P(BudgetTest, EndsTheSessionAsFailedAfterTheCurrentAction) {
  const BudgetCase& c = GetParam();
  std::string transcript = (home_ / "budget.jsonl").string();
  {
    std::ofstream out(transcript);
    std::string code = c.code_prefix +
                       "p = fhir.create({'resourceType': 'Patient', 'name': [{'family': "
                       "'Budget'}]})\nprint('wrote', p['id'])";
    out << json{{"content", "```python\n" + code + "\n```"}, {"usage", json::parse(c.usage)}}.dump()
        << "\n";
    out << json{{"content", "```python\nprint('second action ran')\nfinish('never')\n```"}}.dump()
        << "\n";
  }
  std::string model = "scripted:" + transcript;
  if (c.priced) WriteToml("[prices.\"" + model + "\"]\ninput = 10.0\noutput = 30.0\n");
  std::vector<std::string> args = {"run", "--policy", (home_ / "allow.toml").string(), "--model",
                                   model};
  args.insert(args.end(), c.flags.begin(), c.flags.end());
  args.push_back("create a patient");
  auto r = RunWard(args, env_);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(c.reason), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrote "), std::string::npos) << "the write did not complete:\n" << r.err;
  EXPECT_EQ(r.err.find("second action ran"), std::string::npos) << r.err;
  auto calls = AuditEntries("binding_call");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["data"]["binding"], "fhir.create");
  EXPECT_EQ(calls[0]["data"]["ok"], true);
  auto ended = AuditEntries("session_end");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["data"]["status"], "failed");
}

INSTANTIATE_TEST_SUITE_P(
    EachBudget, BudgetTest,
    ::testing::Values(
        BudgetCase{
            "steps", {"--max-steps", "1"}, "{}", "", false, "step budget exhausted: 1 steps"},
        BudgetCase{"tokens",
                   {"--max-tokens", "1000"},
                   R"({"input_tokens": 600, "output_tokens": 500})",
                   "",
                   false,
                   "token budget exhausted: used 1100 of 1000 tokens"},
        BudgetCase{"cost",
                   {"--max-cost", "1.0"},
                   R"({"input_tokens": 50000, "output_tokens": 20000})",
                   "",
                   true,
                   "cost budget exhausted: spent 1.1"},
        BudgetCase{"wall_time",
                   {"--max-seconds", "1"},
                   "{}",
                   "import time\ntime.sleep(1.2)\n",
                   false,
                   "time budget exhausted: 1 s"}),
    [](const ::testing::TestParamInfo<BudgetCase>& info) { return info.param.name; });

TEST_F(GateTest, ValidationRefusesForbiddenImportsWithoutRunningThem) {
  auto r =
      RunWard({"run", "--model",
               "scripted:" + Transcript({"import subprocess\nprint('ran')", "finish('ok')"}), "x"},
              env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("failed validation"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("    ran\n"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ward::testing
