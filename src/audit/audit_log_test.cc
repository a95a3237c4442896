#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/hash.h"

namespace ward {
namespace {

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ward_audit_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ward.db").string();
    store_ = std::move(OpenSqliteStore(path_)).value();
    log_ = std::make_unique<AuditLog>(store_.get(), &clock_, "alice");
    for (int i = 0; i < 5; ++i) {
      AuditData d;
      d.Set("step", i).Set("code", "print(" + std::to_string(i) + ")").Set("ok", true);
      d.SetJson("args", R"({"b":1,"a":[1,2]})");
      ASSERT_TRUE(log_->Record("s_1", "code_action", d).ok());
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Rewrites one entry directly in SQLite, as an attacker with file access would.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_create_function(
        db, "sha256", 1, SQLITE_UTF8, nullptr,
        [](sqlite3_context* ctx, int, sqlite3_value** argv) {
          // The attacker knows the format: the hash of the sealed form.
          std::string in(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])));
          auto hashed = HashedFormOf(in);
          std::string out = Sha256Hex(hashed.ok() ? hashed->hashed : in);
          sqlite3_result_text(ctx, out.c_str(), -1, SQLITE_TRANSIENT);
        },
        nullptr, nullptr);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditTest, IntactChainVerifies) {
  auto v = VerifyAuditChain(store_.get());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->entries, 5);
  EXPECT_EQ(v->head_hash.size(), 64u);
}

TEST_F(AuditTest, BodyIsCanonicalJson) {
  auto entries = store_->ListAudit(0, 1);
  ASSERT_TRUE(entries.ok());
  const std::string& body = (*entries)[0].body;
  EXPECT_EQ(body.find('\n'), std::string::npos);
  EXPECT_EQ(body.find("\": "), std::string::npos);
  EXPECT_EQ(body.rfind("{\"actor\":\"alice\"", 0), 0u) << body;
  EXPECT_NE(body.find(R"("args":{"a":[1,2],"b":1})"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("prev_hash":"")"), std::string::npos);
}

// Every field, with text that needs escaping (quotes, control characters, non-ASCII;
// invalid UTF-8 where it is not an indexed column), still gives an entry in
// canonical form that verifies.
TEST_F(AuditTest, EntriesWithAwkwardTextAreCanonicalAndVerify) {
  std::string awkward = "say \"hi\"\\ \x01\t\n é ✓ end";
  AuditLog odd_actor(store_.get(), &clock_, awkward + " \xff\xfe");
  AuditData d;
  d.Set(awkward, awkward + " \xff")
      .Set("n", int64_t{-7})
      .SetJson("raw", R"({"z":"\u0001","a":[true,null]})");
  d.SetJson("not_json", "{oops");
  ASSERT_TRUE(odd_actor.Record("s_" + awkward, "kind " + awkward, d).ok());
  auto v = VerifyAuditChain(store_.get());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->entries, 6);
  auto last = store_->ListAudit(5, 1);
  ASSERT_TRUE(last.ok() && last->size() == 1u);
  EXPECT_NE((*last)[0].body.find(R"("raw":{"a":[true,null],"z":"\u0001"})"), std::string::npos)
      << (*last)[0].body;
  EXPECT_NE((*last)[0].body.find(R"("not_json":"{oops")"), std::string::npos);
}

// Every byte value in the text ward quotes itself (actor, session, kind, the data's
// keys and string values), one entry each: all in canonical form, so the chain verifies.
TEST_F(AuditTest, EveryByteInQuotedFieldsGivesACanonicalEntry) {
  for (int b = 1; b < 256; ++b) {
    std::string text = std::string("a") + static_cast<char>(b) + "/b";
    bool utf8 = b < 0x80;  // a lone byte above 0x7f is not UTF-8: only where not indexed
    AuditLog log(store_.get(), &clock_, text);
    AuditData d;
    d.Set("byte", int64_t{b}).Set(text, text).Set("key " + text, false);
    ASSERT_TRUE(log.Record(utf8 ? "s_" + text : "s_plain", utf8 ? "k " + text : "k", d).ok());
  }
  auto v = VerifyAuditChain(store_.get());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << "entry " << v->first_bad_seq << ": " << v->problem;
  EXPECT_EQ(v->entries, 5 + 255);
}

// The data is written as nlohmann writes the object built field by field: keys in
// byte order, a repeated key's last value, numbers, booleans, parsed raw JSON.
TEST_F(AuditTest, DataIsTheCanonicalObjectOfItsFields) {
  AuditData d;
  d.Set("k", "first").Set("b", int64_t{-42}).Set("a", true).Set("k", "second");
  d.SetJson("raw", R"([1, 2.5, {"y": null, "x": "\u00e9"}])").SetJson("bad", "{no");
  d.Set("Z", "upper sorts first").Set("\xc3\xa9", "non-ASCII key");
  ASSERT_TRUE(log_->Record("s_1", "data", d).ok());
  auto last = store_->ListAudit(5, 1);
  ASSERT_TRUE(last.ok() && last->size() == 1u);
  const std::string& body = (*last)[0].body;
  nlohmann::json fields = nlohmann::json::object();
  fields["k"] = "first";
  fields["b"] = -42;
  fields["a"] = true;
  fields["k"] = "second";
  fields["raw"] = nlohmann::json::parse(R"([1, 2.5, {"y": null, "x": "\u00e9"}])");
  fields["bad"] = "{no";
  fields["Z"] = "upper sorts first";
  fields["\xc3\xa9"] = "non-ASCII key";
  std::string expected = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  EXPECT_NE(body.find(",\"data\":" + expected + ","), std::string::npos) << body << "\n"
                                                                         << expected;
  auto v = VerifyAuditChain(store_.get());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_F(AuditTest, EditedContentIsDetectedAtThatEntry) {
  Tamper("UPDATE audit SET body = replace(body, 'print(2)', 'print(9)') WHERE seq = 3");
  auto v = VerifyAuditChain(store_.get());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 3);
}

TEST_F(AuditTest, RehashedEditBreaksTheNextLink) {
  Tamper(
      "UPDATE audit SET body = replace(body, 'print(2)', 'print(9)') WHERE seq = 3;"
      "UPDATE audit SET hash = sha256(body) WHERE seq = 3");
  auto v = VerifyAuditChain(store_.get());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 4);
  EXPECT_NE(v->problem.find("prev_hash"), std::string::npos);
}

TEST_F(AuditTest, DeletedEntryIsAGap) {
  Tamper("DELETE FROM audit WHERE seq = 2");
  auto v = VerifyAuditChain(store_.get());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 2);
}

TEST_F(AuditTest, AnIntentWithoutItsOutcomeIsReportedAsUnfinished) {
  AuditData intent;
  intent.Set("binding", "fhir.create");
  auto finished = log_->Append("s_1", "binding_intent", intent);
  auto unfinished = log_->Append("s_2", "binding_intent", intent);
  ASSERT_TRUE(finished.ok() && unfinished.ok());
  AuditData outcome;
  outcome.Set("binding", "fhir.create").Set("intent_seq", finished->seq);
  ASSERT_TRUE(log_->Record("s_1", "binding_call", outcome).ok());
  auto v = VerifyAuditChain(store_.get());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);  // the chain itself is intact
  ASSERT_EQ(v->unfinished_intents.size(), 1u);
  EXPECT_EQ(v->unfinished_intents[0].seq, unfinished->seq);
  EXPECT_EQ(v->unfinished_intents[0].session, "s_2");

  auto of_s2 = UnfinishedIntents(store_.get(), "s_2");
  ASSERT_TRUE(of_s2.ok());
  ASSERT_EQ(of_s2->size(), 1u);
  EXPECT_EQ((*of_s2)[0].seq, unfinished->seq);
  EXPECT_EQ(IntentBinding((*of_s2)[0]), "fhir.create");
  EXPECT_TRUE(UnfinishedIntents(store_.get(), "s_1")->empty());
}

}  // namespace
}  // namespace ward
