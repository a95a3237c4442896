#include "util/toml_limits.h"

#include <string>

namespace ward {
namespace {

// Walks the text once, knowing whether it is inside a string (single- or
// multi-line), a comment, or the key part of a line or inline table.
class KeyDotCounter {
 public:
  KeyDotCounter(std::string_view text, int max_dots) : text_(text), max_dots_(max_dots) {}

  // The 1-based line where the keys nest deeper than the limit, or 0.
  int FirstLineOverLimit() {
    for (i_ = 0; i_ < text_.size(); ++i_) {
      char c = text_[i_];
      if (c == '\n') {
        NewLine();
      } else if (comment_) {
        continue;
      } else if (quote_) {
        InString(c);
      } else if (c == '"' || c == '\'') {
        OpenString(c);
      } else if (c == '#') {
        comment_ = true;
      } else if (in_key_) {
        if (c == '=') in_key_ = false;
        if (c == '.' && ++dots_ > max_dots_) return line_;
      } else {
        InValue(c);
      }
    }
    return 0;
  }

 private:
  void NewLine() {
    ++line_;
    dots_ = 0;
    comment_ = false;
    if (!multiline_) quote_ = 0;
    in_key_ = !quote_ && (nesting_.empty() || nesting_.back() == '{');
  }
  bool Triple(char q) const {
    return i_ + 2 < text_.size() && text_[i_ + 1] == q && text_[i_ + 2] == q;
  }
  void OpenString(char q) {
    quote_ = q;
    multiline_ = Triple(q);
    if (multiline_) i_ += 2;
  }
  void InString(char c) {
    if (escaped_) {
      escaped_ = false;
    } else if (c == '\\' && quote_ == '"') {
      escaped_ = true;
    } else if (c == quote_ && (!multiline_ || Triple(c))) {
      if (multiline_) i_ += 2;
      quote_ = 0;
      multiline_ = false;
    }
  }
  void InValue(char c) {
    if (c == '[' || c == '{') {
      nesting_.push_back(c);
      in_key_ = c == '{';
    } else if ((c == ']' || c == '}') && !nesting_.empty()) {
      nesting_.pop_back();
    } else if (c == ',' && !nesting_.empty() && nesting_.back() == '{') {
      in_key_ = true;
    }
  }

  std::string_view text_;
  int max_dots_;
  size_t i_ = 0;
  int line_ = 1, dots_ = 0;
  char quote_ = 0;  // the open string's quote, or 0
  bool multiline_ = false, escaped_ = false, comment_ = false, in_key_ = true;
  std::string nesting_;  // open '[' and '{' of values
};

}  // namespace

Status CheckTomlLimits(std::string_view text, std::string_view source, const TomlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return InvalidArgument(std::string(source) + ": the file is over the limit of " +
                           std::to_string(limits.max_bytes) + " bytes");
  }
  if (int line = KeyDotCounter(text, limits.max_dots).FirstLineOverLimit(); line != 0) {
    return InvalidArgument(std::string(source) + ":" + std::to_string(line) +
                           ": keys are nested deeper than " + std::to_string(limits.max_dots) +
                           " levels");
  }
  return Status::Ok();
}

}  // namespace ward
