// The built-in chat templates: exact copies of the templates these model families ship
// (the same strings as ../shared/fixtures/chat/templates/*.jinja, checked byte for byte by
// tests/chat_template_test.cpp; provenance in that folder's templates.json).
#include <string>

#include "chat/chat_template.h"

namespace tinylm::chat {
namespace {

struct Builtin {
  const char* name;
  const char* fixture;  // the file in ../shared/fixtures/chat/templates
  const char* source;
};

// clang-format off
constexpr Builtin kBuiltins[] = {
    // ChatML (teknium/OpenHermes-2.5, many fine-tunes)
    {"chatml", "chatml",
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n"
        "' + message['content'] + '<|im_end|>' + '\n"
        "'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
        "' }}{% endif %}"},
    // Qwen2-Instruct: ChatML with the default system prompt
    {"qwen2", "qwen2-instruct",
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
        "You are a helpful assistant.<|im_end|>\n"
        "' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n"
        "' + message['content'] + '<|im_end|>' + '\n"
        "'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
        "' }}{% endif %}"},
    // Llama-2-chat ([INST] / <<SYS>>)
    {"llama2", "llama2-chat",
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"},
    // Meta-Llama-3-Instruct
    {"llama3", "llama3-instruct",
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n"
        "\n"
        "'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n"
        "\n"
        "' }}{% endif %}"},
    // Mistral-7B-Instruct-v0.2 / Mixtral-8x7B-Instruct
    {"mistral", "mistral-instruct-v0.2",
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"},
    // Gemma / Gemma-2 instruct
    {"gemma", "gemma-it",
        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n"
        "' + message['content'] | trim + '<end_of_turn>\n"
        "' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n"
        "'}}{% endif %}"},
    // HuggingFaceH4/zephyr-7b-beta, TinyLlama-1.1B-Chat
    {"zephyr", "zephyr",
        "{% for message in messages %}\n"
        "{% if message['role'] == 'user' %}\n"
        "{{ '<|user|>\n"
        "' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'system' %}\n"
        "{{ '<|system|>\n"
        "' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'assistant' %}\n"
        "{{ '<|assistant|>\n"
        "'  + message['content'] + eos_token }}\n"
        "{% endif %}\n"
        "{% if loop.last and add_generation_prompt %}\n"
        "{{ '<|assistant|>' }}\n"
        "{% endif %}\n"
        "{% endfor %}"},
    // Phi-3-mini-4k-instruct
    {"phi3", "phi3-mini",
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n"
        "' + message['content'] + '<|end|>' + '\n"
        "' + '<|assistant|>' + '\n"
        "'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n"
        "'}}{% endif %}{% endfor %}"},
    // Vicuna v1.1 (USER: / ASSISTANT:)
    {"vicuna", "vicuna-1.1",
        "{%- for message in messages %}{%- if message['role'] == 'system' -%}{{- '' + message['content'] + '\n"
        "\n"
        "' -}}{%- else -%}{%- if message['role'] == 'user' -%}{{-'USER: ' + message['content'] + '\n"
        "'-}}{%- else -%}{{-'ASSISTANT: ' + message['content'] + '</s>\n"
        "' -}}{%- endif -%}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt -%}{{-'ASSISTANT:'-}}{%- endif -%}"},
    // deepseek-coder-instruct (### Instruction / ### Response)
    {"deepseek-coder", "deepseek-coder-instruct",
        "{% if not add_generation_prompt is defined %}\n"
        "{% set add_generation_prompt = false %}\n"
        "{% endif %}\n"
        "{%- set ns = namespace(found=false) -%}\n"
        "{%- for message in messages -%}\n"
        "    {%- if message['role'] == 'system' -%}\n"
        "        {%- set ns.found = true -%}\n"
        "    {%- endif -%}\n"
        "{%- endfor -%}\n"
        "{{bos_token}}{%- if not ns.found -%}\n"
        "{{'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\\n'}}\n"
        "{%- endif %}\n"
        "{%- for message in messages %}\n"
        "    {%- if message['role'] == 'system' %}\n"
        "{{ message['content'] }}\n"
        "    {%- else %}\n"
        "        {%- if message['role'] == 'user' %}\n"
        "{{'### Instruction:\\n' + message['content'] + '\\n'}}\n"
        "        {%- else %}\n"
        "{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n"
        "        {%- endif %}\n"
        "    {%- endif %}\n"
        "{%- endfor %}\n"
        "{% if add_generation_prompt %}\n"
        "{{'### Response:'}}\n"
        "{% endif %}"},
};
// clang-format on

}  // namespace

Expected<std::string> BuiltinTemplateSource(std::string_view name) {
  if (name == "phi") name = "phi3";
  for (const Builtin& b : kBuiltins) {
    if (name == b.name) return std::string(b.source);
  }
  return Errorf("unknown built-in chat template '%.*s' (known: %s)", int(name.size()), name.data(),
                BuiltinTemplateNames().c_str());
}

std::string BuiltinTemplateNames() {
  std::string names;
  for (const Builtin& b : kBuiltins) {
    if (!names.empty()) names += ", ";
    names += b.name;
    if (std::string(b.name) == "phi3") names += " (alias phi)";
  }
  return names;
}

// For tests: the fixture file each built-in template was copied from.
const char* BuiltinTemplateFixture(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (name == b.name) return b.fixture;
  }
  return nullptr;
}

}  // namespace tinylm::chat
