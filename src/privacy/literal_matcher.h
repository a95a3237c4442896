// LiteralMatcher: finds many literal strings in a text at once (Aho-Corasick),
// ASCII case-insensitively, whole words only; a tab or line break matches a
// space ("924 Osinski\nMeadow" is "924 Osinski Meadow").
//
// A match must not cut a word: where it starts (ends) with an ASCII letter or
// digit, the byte before (after) it is not one. Every other
// byte — punctuation, '_', spaces, UTF-8 sequences — separates words, so a known
// name is found in "Wyman's", "Patient/Wyman" and "Alfreda_Wyman" alike; so do a
// percent escape ("%7CWyman", "Patient%2FWyman") and a string escape
// ("\nWyman") before a match. Among
// overlapping matches the leftmost wins, and of those the longest, so "Alfreda
// Wyman" is one match, not two. Search time is linear in the text (plus the
// matches); building is linear in the patterns' total length. Immutable once
// built: safe to search from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ward {

class LiteralMatcher {
 public:
  struct Match {
    size_t begin = 0;
    size_t length = 0;
    int pattern = 0;  // index into the patterns given to Build
  };

  // Empty patterns are ignored. Patterns equal but for ASCII case are one
  // pattern: the first one's index is reported.
  static LiteralMatcher Build(const std::vector<std::string>& patterns);

  // The non-overlapping whole-word matches in `text`, leftmost-longest first.
  std::vector<Match> FindAll(std::string_view text) const;

  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Edge {
    uint8_t byte;
    int32_t next;
  };
  struct Node {
    std::vector<Edge> edges;  // sorted by byte
    int32_t fail = 0;
    int32_t output = -1;       // the pattern ending here, or -1
    int32_t output_link = -1;  // nearest node on the fail chain with an output
    int32_t depth = 0;
  };
  int32_t Child(int32_t node, uint8_t byte) const;
  int32_t Step(int32_t node, uint8_t byte) const;

  std::vector<Node> nodes_;
};

}  // namespace ward
