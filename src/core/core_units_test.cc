#include <gtest/gtest.h>

#include "core/code_extract.h"
#include "core/context.h"
#include "core/observation.h"

namespace ward {
namespace {

TEST(CodeExtractTest, FindsPythonBlocksOnly) {
  EXPECT_EQ(ExtractPythonCode("Let me see.\n```python\nprint(1)\n```\nDone."), "print(1)\n");
  EXPECT_EQ(ExtractPythonCode("```py\na = 1\n```\ntext\n```python\nb = 2\n```"),
            "a = 1\n\nb = 2\n");
  EXPECT_FALSE(ExtractPythonCode("```bash\nls\n```").has_value());
  EXPECT_FALSE(ExtractPythonCode("no code at all").has_value());
  EXPECT_EQ(ExtractPythonCode("```python\nx = 1\n"), "x = 1\n");  // unterminated
}

TEST(ObservationTest, CapsKeepingHeadAndTailOnUtf8Boundaries) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "é";  // 2 bytes each
  bool truncated = false;
  std::string capped = CapText(text, 101, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_NE(capped.find("bytes cut"), std::string::npos);
  EXPECT_EQ(capped.rfind("é", 0), 0u);
  EXPECT_EQ(capped.substr(capped.size() - 2), "é");
  EXPECT_LT(capped.size(), 160u);
  EXPECT_EQ(CapText("short", 100, &truncated), "short");
  EXPECT_FALSE(truncated);
}

TEST(ObservationTest, CapNeverCutsAPseudonymToken) {
  std::string text = std::string(95, '.') + "[[PATIENT_1.family]]" + std::string(300, '.') +
                     "[[PATIENT_12.birthDate]]" + std::string(90, '.');
  bool truncated = false;
  std::string capped = CapText(text, 200, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(capped.find("[[PATIENT_1."), std::string::npos) << capped;  // head stops before
  EXPECT_EQ(capped.find("birthDate"), std::string::npos) << capped;     // tail starts after
  EXPECT_EQ(capped.find("]]"), std::string::npos) << capped;
  // A whole token at the edge stays whole.
  std::string whole = "[[DATE_1]]" + std::string(500, '.') + "[[DATE_2]]";
  capped = CapText(whole, 100, &truncated);
  EXPECT_EQ(capped.rfind("[[DATE_1]]", 0), 0u);
  EXPECT_EQ(capped.substr(capped.size() - 10), "[[DATE_2]]");
}

TEST(ObservationTest, FormatsEachPart) {
  ActionOutcome o;
  o.stdout_text = "hello";
  o.has_value = true;
  o.value_repr = "42";
  Observation obs = FormatObservation(o, 30'000, 1000);
  EXPECT_EQ(obs.kind, "result");
  EXPECT_EQ(obs.text, "hello\n[value] 42");
  o = ActionOutcome{};
  o.failure = GuestFailure::kTimeout;
  obs = FormatObservation(o, 30'000, 1000);
  EXPECT_EQ(obs.kind, "timeout");
  EXPECT_NE(obs.text.find("30.0 s"), std::string::npos) << obs.text;
  EXPECT_NE(obs.text.find("restarted"), std::string::npos);
  o = ActionOutcome{};
  EXPECT_EQ(FormatObservation(o, 1, 100).text, "(the code ran and printed nothing)");
}

TEST(ContextTest, ElidesOldestObservationsFirst) {
  std::vector<ChatMessage> m = {{ChatRole::kSystem, "sys"}, {ChatRole::kUser, "task"}};
  for (int i = 0; i < 6; ++i) {
    m.push_back({ChatRole::kAssistant, "```python\nprint(" + std::to_string(i) + ")\n```"});
    m.push_back({ChatRole::kUser, std::string(4000, 'a' + i)});
  }
  ElisionResult r = FitContext(m, 3000);
  EXPECT_GT(r.elided, 0);
  EXPECT_LE(r.tokens_after, 3000);
  EXPECT_EQ(m[0].content, "sys");
  EXPECT_EQ(m[1].content, "task");
  EXPECT_NE(m[3].content, std::string(4000, 'a'));          // oldest observation elided
  EXPECT_EQ(m.back().content, std::string(4000, 'a' + 5));  // newest kept
  ElisionResult none = FitContext(m, 1'000'000);
  EXPECT_EQ(none.elided, 0);
}

}  // namespace
}  // namespace ward
