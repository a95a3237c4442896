#include "protocol/event_json.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

TEST(EventJsonTest, RoundTripsEveryField) {
  ModelTurnEvent turn;
  turn.step = 2;
  turn.content = "Let me look. ✓";
  turn.tool_calls.push_back({"call_1", "run_python", R"j({"code":"print(1)"})j"});
  turn.input_tokens = 10;
  turn.output_tokens = 5;
  Event e{"s_1", 7, 1'700'000'000'000, turn};
  auto back = EventFromStored("s_1", 7, e.time_ms, "model_turn", PayloadJson(e.body));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const auto& t = std::get<ModelTurnEvent>(back->body);
  EXPECT_EQ(t.content, turn.content);
  ASSERT_EQ(t.tool_calls.size(), 1u);
  EXPECT_EQ(t.tool_calls[0].arguments_json, turn.tool_calls[0].arguments_json);
  EXPECT_EQ(t.output_tokens, 5);
}

TEST(EventJsonTest, LineCarriesTypeSessionSeq) {
  Event e{"s_2", 3, 0, FinishedEvent{"succeeded", "42", "", 1, 0, 0}};
  std::string line = EventJsonLine(e);
  EXPECT_NE(line.find(R"("type":"finished")"), std::string::npos);
  EXPECT_NE(line.find(R"("session":"s_2")"), std::string::npos);
  EXPECT_NE(line.find(R"("seq":3)"), std::string::npos);
  EXPECT_NE(line.find(R"("answer":"42")"), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(EventJsonTest, RejectsUnknownTypeAndBadPayload) {
  EXPECT_EQ(EventFromStored("s", 1, 0, "nope", "{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EventFromStored("s", 1, 0, "finished", "{not json").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ward
