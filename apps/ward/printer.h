// Human-readable rendering of session events for the terminal (stderr during
// `ward run`, stdout for `ward sessions show`). Not thread-safe; called in event order.
#pragma once

#include <cstdio>

#include "protocol/event.h"

namespace ward {

class EventPrinter {
 public:
  EventPrinter(FILE* out, bool color) : out_(out), color_(color) {}
  void Print(const Event& event);

 private:
  void Line(const char* style, const std::string& text);
  void Block(const std::string& label, const std::string& text);
  FILE* out_;
  bool color_;
};

}  // namespace ward
