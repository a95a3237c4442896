#include "core/prompt.h"

namespace ward {
namespace {

std::string BindingsSection(const std::vector<BindingInfo>& bindings) {
  std::string out = "Functions available in the Python environment (already defined; no import):\n";
  for (const auto& b : bindings) {
    out += "\n" + b.name.substr(0, b.name.rfind('.') + 1) + b.signature + "\n";
    out += "    " + b.doc + "\n";
  }
  out +=
      "\nA call that policy refuses raises PermissionDenied with the reason; read it and adapt.\n";
  return out;
}

constexpr const char* kCodeModeRules =
    "Work in steps. In each reply, think briefly, then give exactly one fenced code block:\n"
    "```python\n# your code\n```\n"
    "ward runs it and replies with an observation: what it printed, the value of its last\n"
    "expression, or the error. Variables and imports persist between steps. Print what you\n"
    "need to see; keep output short. When the task is done, call finish(answer) in a code\n"
    "block, with the answer the user asked for.\n";

constexpr const char* kToolsModeRules =
    "Work in steps using the tools. run_python(code) runs Python and returns what it printed,\n"
    "the value of its last expression, or the error; variables and imports persist between\n"
    "calls. When the task is done, call the finish tool with the answer the user asked for.\n";

}  // namespace

std::string BuildSystemPrompt(AgentMode mode, const std::vector<BindingInfo>& bindings,
                              const std::string& now) {
  std::string out =
      "You are ward, an agent that completes tasks by writing Python code. The code runs in an\n"
      "isolated Python 3 environment with no network access; it reaches outside systems only\n"
      "through the functions listed below, and every call is checked and recorded.\n\n";
  out += mode == AgentMode::kCode ? kCodeModeRules : kToolsModeRules;
  out += "\n" + BindingsSection(bindings);
  if (!now.empty()) out += "\nThe current date and time is " + now + ".\n";
  return out;
}

std::string BuildTaskMessage(const std::string& task) { return "Task:\n" + task; }

std::string NoActionCorrection(AgentMode mode) {
  if (mode == AgentMode::kCode)
    return "Your reply contained no ```python code block, so nothing ran. Reply with exactly one "
           "python code block; call finish(answer) in it when the task is done.";
  return "Your reply called no tool, so nothing ran. Call run_python(code) to act, or "
         "finish(answer) when the task is done.";
}

std::string PseudonymTokensNote() {
  return "\n\nPrivacy: patient identifiers (names, record numbers, dates, addresses, phone "
         "numbers, ids) reach you as tokens such as [[PATIENT_1]], [[PATIENT_1.family]], "
         "[[PATIENT_1.birthDate]] or [[DATE_3]]. Each stands for one real value that your code "
         "sees: to use it, write the token inside a string in your code (for example "
         "fhir.read(\"Patient\", \"[[PATIENT_1]]\")), and it is replaced by the value before "
         "the code runs. Do arithmetic and comparisons on dates in code, not in your head. Tokens "
         "in your final answer are replaced for the user, so you may answer with them.";
}

}  // namespace ward
