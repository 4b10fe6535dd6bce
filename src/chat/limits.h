// The bounds that keep a hostile chat template from crashing, hanging or exhausting memory.
// Every limit, when hit, is an error with a message naming it; none truncates silently.
// All of them are far above what real chat templates need (the largest Hugging Face
// templates are ~20 KB, nest ~8 levels and loop over a few hundred messages).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tinylm::chat {

// Template source size. The lexer and parser are linear in it.
constexpr size_t kMaxTemplateBytes = 1 << 20;  // 1 MiB

// Nesting depth of the syntax tree: blocks inside blocks ({% if %} in {% for %} ...) and
// sub-expressions (parentheses, operator chains `a + b + c` count one level per operator,
// filter chains one per filter). The parser recurses once per level, and the interpreter at
// most once per level, so this bounds the native stack of both.
constexpr int kMaxNestingDepth = 128;

// Nested macro calls (a macro calling itself recursively counts one per call).
constexpr int kMaxCallDepth = 32;

// Interpreter recursion over expressions, statements and macro calls together; a second
// guard on the native stack (each level uses well under 1 KB; the wasm32 stack is 1 MiB).
constexpr int kMaxEvalDepth = 384;

// Total bytes written during one render, counting the final prompt and every intermediate
// buffer (macro bodies, {% set %} blocks); also the largest string any operation (`~`, `+`,
// `*`, join, replace, tojson ...) may build.
constexpr size_t kMaxOutputBytes = 16 << 20;  // 16 MiB

// Total for-loop iterations during one render (all loops, nested loops included), and the
// largest list any operation (range(), `+` on lists, `*`) may build.
constexpr uint64_t kMaxLoopIterations = 1000000;
constexpr size_t kMaxListElements = 1000000;

}  // namespace tinylm::chat
