#include "net/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ward {
namespace {

std::vector<SseEvent> ParseAll(std::string_view stream) {
  SseParser parser;
  return parser.Feed(stream);
}

// Feeds `stream` split at `cut` and returns all events.
std::vector<SseEvent> ParseSplit(std::string_view stream, size_t cut) {
  SseParser parser;
  auto out = parser.Feed(stream.substr(0, cut));
  auto rest = parser.Feed(stream.substr(cut));
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

std::vector<SseEvent> ParseByteByByte(std::string_view stream) {
  SseParser parser;
  std::vector<SseEvent> out;
  for (char c : stream) {
    auto more = parser.Feed(std::string_view(&c, 1));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

bool SameEvents(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].id != b[i].id ||
        a[i].retry_ms != b[i].retry_ms) {
      return false;
    }
  }
  return true;
}

TEST(SseParserTest, ParsesSimpleEvents) {
  auto events = ParseAll("data: hello\n\ndata: world\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "hello");
  EXPECT_EQ(events[1].data, "world");
}

TEST(SseParserTest, EventFieldAndMultiLineData) {
  auto events = ParseAll("event: content_block_delta\ndata: line one\ndata: line two\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "content_block_delta");
  EXPECT_EQ(events[0].data, "line one\nline two");
}

TEST(SseParserTest, EventTypeResetsAfterDispatch) {
  auto events = ParseAll("event: ping\ndata: {}\n\ndata: x\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "ping");
  EXPECT_EQ(events[1].event, "message");
}

TEST(SseParserTest, StripsOnlyOneLeadingSpace) {
  auto events = ParseAll("data:  two spaces\ndata:none\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " two spaces\nnone");
}

TEST(SseParserTest, CommentsAreIgnored) {
  auto events = ParseAll(": keep-alive\n\n:another\ndata: a\n: mid comment\ndata: b\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb");
}

TEST(SseParserTest, CrLfAndCrLineEndings) {
  auto crlf = ParseAll("event: e\r\ndata: x\r\ndata: y\r\n\r\n");
  ASSERT_EQ(crlf.size(), 1u);
  EXPECT_EQ(crlf[0].event, "e");
  EXPECT_EQ(crlf[0].data, "x\ny");
  auto cr = ParseAll("event: e\rdata: x\rdata: y\r\r");
  EXPECT_TRUE(SameEvents(cr, crlf));
  auto mixed = ParseAll("event: e\rdata: x\r\ndata: y\n\r\n");
  EXPECT_TRUE(SameEvents(mixed, crlf));
}

TEST(SseParserTest, CrThenLfInSeparateChunksIsOneLineEnd) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("data: a\r").empty());
  EXPECT_TRUE(parser.Feed("\n").empty());  // the LF of CRLF, not a blank line
  auto events = parser.Feed("\r");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a");
}

TEST(SseParserTest, IdPersistsAndRetryParsed) {
  auto events = ParseAll("id: 7\nretry: 1500\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].retry_ms, 1500);
  EXPECT_EQ(events[1].id, "7");
  EXPECT_EQ(events[1].retry_ms, -1);
  EXPECT_EQ(events[2].id, "");  // "id" with no value resets it
}

TEST(SseParserTest, InvalidRetryAndNulIdIgnored) {
  SseParser parser;
  static const char kStream[] = "retry: 12a\nid: a\0b\ndata: x\n\n";
  auto events = parser.Feed(std::string_view(kStream, sizeof(kStream) - 1));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].retry_ms, -1);
  EXPECT_EQ(events[0].id, "");
  EXPECT_EQ(parser.reconnect_ms(), -1);
}

TEST(SseParserTest, EventWithoutDataIsDropped) {
  auto events = ParseAll("event: nothing\n\ndata: after\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "after");
}

TEST(SseParserTest, EmptyDataLineMakesEmptyEvent) {
  auto events = ParseAll("data\n\ndata:\ndata:\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[1].data, "\n");
}

TEST(SseParserTest, FieldWithoutColonAndUnknownFields) {
  auto events = ParseAll("foo: bar\ndata\ndata: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "\nx");
}

TEST(SseParserTest, BomAtStartIsSkippedOnce) {
  auto events = ParseAll(
      "\xEF\xBB\xBF"
      "data: a\n\n\xEF\xBB\xBF"
      "data: b\n\n");
  ASSERT_EQ(events.size(), 1u);  // second BOM makes an unknown field name
  EXPECT_EQ(events[0].data, "a");
  auto split = ParseByteByByte(
      "\xEF\xBB\xBF"
      "data: a\n\n");
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].data, "a");
}

TEST(SseParserTest, PartialBomPrefixIsKept) {
  // \xEF\xBB then 'x' is not a BOM; the bytes belong to the first line (a field name).
  auto events = ParseAll(
      "\xEF\xBB"
      "x\ndata: ok\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "ok");
  auto not_bom = ParseByteByByte("data: \xEF\xBB\xBF\n\n");
  ASSERT_EQ(not_bom.size(), 1u);
  EXPECT_EQ(not_bom[0].data, "\xEF\xBB\xBF");  // a BOM later in the stream is data
}

TEST(SseParserTest, IncompleteEventIsNotEmittedAndIsPending) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("data: partial\n").empty());
  EXPECT_TRUE(parser.pending());
  EXPECT_TRUE(parser.Feed("data: more").empty());
  EXPECT_TRUE(parser.pending());
  auto events = parser.Feed("\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "partial\nmore");
  EXPECT_FALSE(parser.pending());
}

// A stream exercising every feature, with multi-byte UTF-8 (2, 3 and 4 bytes).
constexpr std::string_view kRichStream =
    "\xEF\xBB\xBF: comment\r\n"
    "event: delta\r\n"
    "id: 1\r\n"
    "data: {\"text\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}\r\n"
    "\r\n"
    "data: second\n"
    "data:  line\n"
    "\n"
    "retry: 250\r"
    "data: \xE6\x97\xA5\xE6\x9C\xAC\r"
    "\r"
    "data: [DONE]\r\n\r\n";

TEST(SseParserTest, SplitAtEveryBytePositionGivesSameEvents) {
  auto whole = ParseAll(kRichStream);
  ASSERT_EQ(whole.size(), 4u);
  EXPECT_EQ(whole[0].event, "delta");
  EXPECT_EQ(whole[0].data, "{\"text\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}");
  EXPECT_EQ(whole[1].data, "second\n line");
  EXPECT_EQ(whole[2].data, "\xE6\x97\xA5\xE6\x9C\xAC");
  EXPECT_EQ(whole[2].retry_ms, 250);
  EXPECT_EQ(whole[3].data, "[DONE]");
  EXPECT_EQ(whole[3].id, "1");
  for (size_t cut = 0; cut <= kRichStream.size(); ++cut) {
    EXPECT_TRUE(SameEvents(ParseSplit(kRichStream, cut), whole)) << "cut at " << cut;
  }
  EXPECT_TRUE(SameEvents(ParseByteByByte(kRichStream), whole));
}

TEST(SseParserTest, SplitAtEveryPairOfPositions) {
  auto whole = ParseAll(kRichStream);
  for (size_t a = 0; a <= kRichStream.size(); a += 3) {
    for (size_t b = a; b <= kRichStream.size(); b += 5) {
      SseParser parser;
      auto out = parser.Feed(kRichStream.substr(0, a));
      auto mid = parser.Feed(kRichStream.substr(a, b - a));
      auto end = parser.Feed(kRichStream.substr(b));
      out.insert(out.end(), mid.begin(), mid.end());
      out.insert(out.end(), end.begin(), end.end());
      ASSERT_TRUE(SameEvents(out, whole)) << "cuts at " << a << "," << b;
    }
  }
}

}  // namespace
}  // namespace ward
