// Finds the Python code in a model reply: the fenced ```python (or ```py) blocks,
// joined in order. Pure function.
#pragma once

#include <optional>
#include <string>

namespace ward {

// The code of every python-fenced block, joined with a blank line; nullopt when
// the reply has none. An unterminated final block counts up to the end of the text.
std::optional<std::string> ExtractPythonCode(const std::string& reply);

}  // namespace ward
