#include "printer.h"

#include <string>

namespace ward {
namespace {

constexpr const char* kDim = "\033[2m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kCyan = "\033[36m";
constexpr size_t kMaxShownLines = 40;

// The model's prose without its fenced code (the code is shown as the action).
std::string WithoutCodeBlocks(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("```", pos);
    out += text.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
    if (open == std::string::npos) break;
    size_t close = text.find("```", open + 3);
    if (close == std::string::npos) break;
    pos = close + 3;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  size_t start = out.find_first_not_of("\n ");
  return start == std::string::npos ? "" : out.substr(start);
}

std::string Trimmed(const std::string& text) {
  size_t lines = 0, pos = 0;
  while (pos < text.size() && lines < kMaxShownLines) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return text;
    pos = nl + 1;
    ++lines;
  }
  if (pos >= text.size()) return text;
  size_t rest = 0;
  for (size_t i = pos; i < text.size(); ++i) rest += text[i] == '\n';
  return text.substr(0, pos) + "… (" + std::to_string(rest + 1) + " more lines)";
}

}  // namespace

void EventPrinter::Line(const char* style, const std::string& text) {
  if (color_) {
    fprintf(out_, "%s%s\033[0m\n", style, text.c_str());
  } else {
    fprintf(out_, "%s\n", text.c_str());
  }
}

void EventPrinter::Block(const std::string& label, const std::string& text) {
  Line(kDim, label);
  std::string shown = Trimmed(text);
  size_t pos = 0;
  while (pos <= shown.size()) {
    size_t nl = shown.find('\n', pos);
    std::string line = shown.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!(nl == std::string::npos && line.empty())) fprintf(out_, "    %s\n", line.c_str());
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
}

void EventPrinter::Print(const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, SessionStartedEvent>) {
          Line(kBold, "ward ▸ session " + event.session + " · model " + e.model + " · " + e.mode +
                          " mode");
          if (e.scripted)
            Line(kYellow,
                 "      the model is SCRIPTED: replies are replayed from a transcript file, not "
                 "generated live (run a live model with --model openai:MODEL or anthropic:MODEL)");
          std::string layers;
          for (const auto& l : e.isolation) layers += (layers.empty() ? "" : ", ") + l;
          Line(kDim, "      guest: " + e.launcher + " (" +
                         (layers.empty() ? "no isolation layers" : layers) + ")");
        } else if constexpr (std::is_same_v<T, ModelTurnEvent>) {
          Line(kCyan,
               "── step " + std::to_string(e.step) + " · model (" + std::to_string(e.input_tokens) +
                   " in / " + std::to_string(e.output_tokens) + " out tokens" +
                   (e.attempts > 1 ? ", " + std::to_string(e.attempts) + " attempts" : "") + ")");
          std::string prose = WithoutCodeBlocks(e.content);
          if (!prose.empty()) Block("  says:", prose);
        } else if constexpr (std::is_same_v<T, ActionProposedEvent>) {
          Block("  code:", e.code);
        } else if constexpr (std::is_same_v<T, BindingCallEvent>) {
          Line(e.ok ? kDim : kYellow, "  → " + e.name + "(" + e.arguments_json + ") " + e.outcome);
        } else if constexpr (std::is_same_v<T, ObservationEvent>) {
          Block(std::string("  ") + (e.kind == "result" ? "output" : e.kind) +
                    (e.truncated ? " (truncated)" : "") + ":",
                e.text);
        } else if constexpr (std::is_same_v<T, ContextElidedEvent>) {
          Line(kDim, "  (elided " + std::to_string(e.elided_messages) +
                         " old observations to fit the context budget)");
        } else if constexpr (std::is_same_v<T, FinishedEvent>) {
          std::string summary = "ward ▸ " + e.status + " after " + std::to_string(e.steps) +
                                " step" + (e.steps == 1 ? "" : "s") + " · " +
                                std::to_string(e.input_tokens + e.output_tokens) + " tokens";
          if (!e.reason.empty()) summary += " · " + e.reason;
          Line(e.status == "succeeded" ? kGreen : kRed, summary);
        }
      },
      event.body);
  fflush(out_);
}

}  // namespace ward
