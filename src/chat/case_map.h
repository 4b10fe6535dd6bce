// Python's str.upper()/lower()/title()/capitalize() for the text chat templates apply them to.
// ASCII letters are mapped; a string holding a letter of another cased script is an error
// (its mapping needs Unicode case tables this runtime does not carry) rather than a silently
// different prompt. Uncased characters (CJK, emoji, digits, punctuation) pass unchanged.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace tinylm::chat {

enum class CaseMode { Upper, Lower, Title, Capitalize, SwapCase };

Expected<std::string> MapCase(std::string_view s, CaseMode mode, const char* what);
// str.islower() / str.isupper() (ASCII letters; the same restriction as MapCase).
Expected<bool> IsCase(std::string_view s, bool lower, const char* what);

}  // namespace tinylm::chat
