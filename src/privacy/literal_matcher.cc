#include "privacy/literal_matcher.h"

#include <algorithm>
#include <deque>

namespace ward {
namespace {

// ASCII case, and a tab or line break as a space: a value of several words is
// found where code wrapped it over lines (textwrap, a table cell, "\n".join).
uint8_t Fold(char c) {
  auto u = static_cast<uint8_t>(c);
  if (u == '\t' || u == '\n' || u == '\r') return ' ';
  return (u >= 'A' && u <= 'Z') ? static_cast<uint8_t>(u - 'A' + 'a') : u;
}

bool IsWordByte(char c) {
  auto u = static_cast<uint8_t>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}

bool IsHexByte(char c) {
  auto u = static_cast<uint8_t>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'f') || (u >= 'A' && u <= 'F');
}

// text[begin] follows a percent escape ("%7C") or a string escape ("\n", "\t",
// "\r"): the escape ends the word before it.
bool AfterEscape(std::string_view text, size_t begin) {
  if (begin >= 3 && text[begin - 3] == '%' && IsHexByte(text[begin - 2]) &&
      IsHexByte(text[begin - 1]))
    return true;
  if (begin >= 2 && text[begin - 2] == '\\') {
    char c = text[begin - 1];
    return c == 'n' || c == 't' || c == 'r';
  }
  return false;
}

}  // namespace

int32_t LiteralMatcher::Child(int32_t node, uint8_t byte) const {
  const auto& edges = nodes_[node].edges;
  auto it = std::lower_bound(edges.begin(), edges.end(), byte,
                             [](const Edge& e, uint8_t b) { return e.byte < b; });
  return (it != edges.end() && it->byte == byte) ? it->next : -1;
}

int32_t LiteralMatcher::Step(int32_t node, uint8_t byte) const {
  while (true) {
    int32_t next = Child(node, byte);
    if (next >= 0) return next;
    if (node == 0) return 0;
    node = nodes_[node].fail;
  }
}

LiteralMatcher LiteralMatcher::Build(const std::vector<std::string>& patterns) {
  LiteralMatcher m;
  m.nodes_.emplace_back();
  for (size_t p = 0; p < patterns.size(); ++p) {
    const std::string& text = patterns[p];
    if (text.empty()) continue;
    int32_t node = 0;
    for (char c : text) {
      uint8_t b = Fold(c);
      int32_t next = m.Child(node, b);
      if (next < 0) {
        next = static_cast<int32_t>(m.nodes_.size());
        Node child;
        child.depth = m.nodes_[node].depth + 1;
        m.nodes_.push_back(std::move(child));
        auto& edges = m.nodes_[node].edges;
        auto it = std::lower_bound(edges.begin(), edges.end(), b,
                                   [](const Edge& e, uint8_t x) { return e.byte < x; });
        edges.insert(it, Edge{b, next});
      }
      node = next;
    }
    if (m.nodes_[node].output < 0) m.nodes_[node].output = static_cast<int32_t>(p);
  }
  // Breadth first: each node's fail link is the longest proper suffix in the trie.
  std::deque<int32_t> queue;
  for (const Edge& e : m.nodes_[0].edges) queue.push_back(e.next);
  while (!queue.empty()) {
    int32_t node = queue.front();
    queue.pop_front();
    for (const Edge& e : m.nodes_[node].edges) {
      int32_t fail = node == 0 ? 0 : m.Step(m.nodes_[node].fail, e.byte);
      if (fail == e.next) fail = 0;
      m.nodes_[e.next].fail = fail;
      m.nodes_[e.next].output_link = m.nodes_[fail].output >= 0 ? fail : m.nodes_[fail].output_link;
      queue.push_back(e.next);
    }
  }
  return m;
}

std::vector<LiteralMatcher::Match> LiteralMatcher::FindAll(std::string_view text) const {
  std::vector<Match> found;
  if (empty()) return found;
  int32_t node = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    node = Step(node, Fold(text[i]));
    // A match ending in a letter or digit must not run on into the next word.
    bool cut_word = IsWordByte(text[i]) && i + 1 < text.size() && IsWordByte(text[i + 1]);
    if (cut_word) continue;
    for (int32_t n = nodes_[node].output >= 0 ? node : nodes_[node].output_link; n >= 0;
         n = nodes_[n].output_link) {
      size_t length = static_cast<size_t>(nodes_[n].depth);
      size_t begin = i + 1 - length;
      if (begin > 0 && IsWordByte(text[begin]) && IsWordByte(text[begin - 1]) &&
          !AfterEscape(text, begin))
        continue;
      found.push_back({begin, length, nodes_[n].output});
    }
  }
  // Leftmost, then longest; drop those overlapping one already taken.
  std::sort(found.begin(), found.end(), [](const Match& a, const Match& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.length > b.length;
  });
  std::vector<Match> chosen;
  size_t covered_to = 0;
  for (const Match& m : found) {
    if (!chosen.empty() && m.begin < covered_to) continue;
    chosen.push_back(m);
    covered_to = m.begin + m.length;
  }
  return chosen;
}

}  // namespace ward
