// Tests of the JSON parser and writer helpers (src/core/json.h). Grammar cases follow
// RFC 8259; UTF-8 validity follows Unicode 15, Table 3-7 (well-formed byte sequences);
// expected decoded values are written out by hand from those documents, and the tokenizer
// fixture counts come from ../shared/fixtures/tokenizers/README.md and Python's json module.
#include "core/json.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace tinylm {
namespace {

json::Value ParseOk(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.message() << "\n  input: " << text;
  return v.ok() ? std::move(v).value() : json::Value();
}

std::string ParseError(std::string_view text, const json::ParseLimits& limits = {}) {
  auto v = json::Parse(text, limits);
  EXPECT_FALSE(v.ok()) << "accepted: " << text;
  return v.ok() ? std::string() : v.message();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// UTF-8 encoding per RFC 3629 section 3, written independently of the parser.
std::string EncodeUtf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

TEST(Json, ParsesLiterals) {
  EXPECT_TRUE(ParseOk("null").is_null());
  EXPECT_TRUE(ParseOk("true").is_bool());
  EXPECT_TRUE(ParseOk("true").as_bool());
  EXPECT_FALSE(ParseOk("false").as_bool());
  EXPECT_EQ(ParseOk("false").type(), json::Type::Bool);
  ParseError("nul");
  ParseError("True");
  ParseError("nulll");
}

TEST(Json, ParsesIntegersExactly) {
  json::Value v = ParseOk("9007199254740993");  // 2^53 + 1: not representable as a double
  EXPECT_TRUE(v.is_integer());
  EXPECT_EQ(v.as_int64(), int64_t{9007199254740993});
  EXPECT_EQ(ParseOk("9223372036854775807").as_int64(), INT64_MAX);
  EXPECT_EQ(ParseOk("-9223372036854775808").as_int64(), INT64_MIN);
  EXPECT_TRUE(ParseOk("-9223372036854775808").is_integer());
  EXPECT_EQ(ParseOk("-17").as_int64(), -17);
  EXPECT_EQ(ParseOk("-17").as_number(), -17.0);
  EXPECT_EQ(ParseOk("0").as_int64(), 0);
}

TEST(Json, IntegersOutsideInt64AreNumbersOnly) {
  json::Value v = ParseOk("9223372036854775808");  // 2^63
  EXPECT_TRUE(v.is_number());
  EXPECT_FALSE(v.is_integer());
  EXPECT_EQ(v.as_number(), 9223372036854775808.0);
  EXPECT_FALSE(ParseOk("-9223372036854775809").is_integer());
  EXPECT_FALSE(ParseOk("123456789012345678901234567890").is_integer());
  EXPECT_EQ(ParseOk("123456789012345678901234567890").as_number(), 1.2345678901234568e29);
}

TEST(Json, FractionsAndExponentsAreNotIntegers) {
  EXPECT_FALSE(ParseOk("1.0").is_integer());
  EXPECT_FALSE(ParseOk("1e2").is_integer());
  EXPECT_EQ(ParseOk("1e2").as_number(), 100.0);
  EXPECT_EQ(ParseOk("1e2").as_int64(), 100);  // truncated from the double
  EXPECT_EQ(ParseOk("-2.75").as_int64(), -2);
  EXPECT_EQ(ParseOk("1e300").as_int64(), 0);  // does not fit: 0
  EXPECT_EQ(ParseOk("1e-05").as_number(), 1e-05);
  EXPECT_EQ(ParseOk("0.1").as_number(), 0.1);
  EXPECT_EQ(ParseOk("-0.0e+0").as_number(), 0.0);
  EXPECT_EQ(ParseOk("2.5E-3").as_number(), 2.5e-3);
  EXPECT_EQ(ParseOk("1e-400").as_number(), 0.0);  // underflow rounds to zero
}

TEST(Json, NegativeZeroKeepsItsSign) {
  json::Value v = ParseOk("-0");
  EXPECT_TRUE(v.is_integer());
  EXPECT_EQ(v.as_int64(), 0);
  EXPECT_TRUE(std::signbit(v.as_number()));
}

TEST(Json, RejectsMalformedNumbers) {
  // RFC 8259 section 6: no leading zeros, no leading '+', digits on both sides of '.',
  // digits after 'e', no hex, no NaN/Infinity.
  for (const char* text : {"01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "1.e3", "0x10", "NaN",
                           "Infinity", "-Infinity", "1_000", "--1", "1.5.2"}) {
    ParseError(text);
  }
}

TEST(Json, RejectsNumbersOutOfDoubleRange) {
  EXPECT_NE(ParseError("1e400").find("out of the range"), std::string::npos);
  EXPECT_NE(ParseError("[-1e309]").find("out of the range"), std::string::npos);
}

TEST(Json, RejectsOverlongNumbers) {
  std::string text = "0." + std::string(5000, '1');
  EXPECT_NE(ParseError(text).find("too long"), std::string::npos);
}

TEST(Json, DecodesEscapes) {
  EXPECT_EQ(ParseOk(R"("a\"b\\c\/d\be\ff\ng\rh\ti")").as_string(), "a\"b\\c/d\be\ff\ng\rh\ti");
  EXPECT_EQ(ParseOk(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(ParseOk(R"("\u0000")").as_string(), std::string(1, '\0'));
}

TEST(Json, DecodesSurrogatePairs) {
  // U+1F600 is D83D DE00 in UTF-16 and F0 9F 98 80 in UTF-8.
  EXPECT_EQ(ParseOk(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  // U+10FFFF, the last code point: DBFF DFFF, F4 8F BF BF.
  EXPECT_EQ(ParseOk(R"("x\uDBFF\uDFFFy")").as_string(), "x\xF4\x8F\xBF\xBFy");
}

TEST(Json, RejectsLoneSurrogate) {
  EXPECT_NE(ParseError(R"("\ud83d")").find("lone high surrogate"), std::string::npos);
  EXPECT_NE(ParseError(R"("\ud83dx")").find("lone high surrogate"), std::string::npos);
  EXPECT_NE(ParseError(R"("\ud83d\u0041")").find("lone high surrogate"), std::string::npos);
  EXPECT_NE(ParseError(R"("\ud83d\ud83d")").find("lone high surrogate"), std::string::npos);
  const std::string low = ParseError(R"(["\ude00"])");
  EXPECT_NE(low.find("lone low surrogate"), std::string::npos);
  EXPECT_NE(low.find("offset 2"), std::string::npos) << low;
}

TEST(Json, RejectsBadEscapes) {
  ParseError(R"("\x")");
  ParseError(R"("\u12")");
  ParseError(R"("\u12G4")");
  ParseError(R"("\U0041")");
  ParseError("\"\\");
  ParseError("\"\\u");
}

TEST(Json, RejectsRawControlCharacters) {
  const std::string error = ParseError(std::string("\"a\tb\""));
  EXPECT_NE(error.find("control character 0x09"), std::string::npos) << error;
  EXPECT_NE(error.find("offset 2"), std::string::npos) << error;
  ParseError(std::string("\"a\nb\""));
  ParseError(std::string("\"\0\"", 3));
  // DEL (0x7f) is not a control character for JSON.
  EXPECT_EQ(ParseOk("\"\x7f\"").as_string(), "\x7f");
}

TEST(Json, PassesValidUtf8Through) {
  const std::string text = "\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF \xEE\x80\x80\"";
  EXPECT_EQ(ParseOk(text).as_string(), text.substr(1, text.size() - 2));
}

TEST(Json, RejectsInvalidUtf8) {
  // Unicode Table 3-7: overlong forms, UTF-16 surrogates, code points above U+10FFFF,
  // stray continuation bytes and truncated sequences are all ill-formed.
  for (const char* bad : {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80",
                          "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",
                          "\x80", "\xC3", "\xE2\x82", "\xF0\x9F\x98", "\xC3\x28"}) {
    const std::string text = std::string("[\"ab") + bad + "\"]";
    const std::string error = ParseError(text);
    EXPECT_NE(error.find("invalid UTF-8"), std::string::npos) << error;
    EXPECT_NE(error.find("offset 4"), std::string::npos) << error;
  }
  // Outside strings, non-ASCII is simply an unexpected byte.
  EXPECT_NE(ParseError("\xC3\xA9").find("unexpected byte 0xc3 (expected a value) at offset 0"),
            std::string::npos);
}

TEST(Json, ReportsWhatAndWhere) {
  EXPECT_EQ(ParseError("[1, x]"), "JSON: unexpected character 'x' (expected a value) at offset 4");
  EXPECT_EQ(ParseError("{\"a\" 1}"), "JSON: unexpected character '1' (expected ':') at offset 5");
  EXPECT_EQ(ParseError("[1 2]"),
            "JSON: unexpected character '2' (expected ',' or ']') at offset 3");
  EXPECT_EQ(ParseError("[1,"), "JSON: unexpected end of input (expected a value) at offset 3");
  EXPECT_EQ(ParseError("\"abc"), "JSON: unterminated string starting at offset 0");
  EXPECT_EQ(ParseError(""), "JSON: unexpected end of input (expected a value) at offset 0");
}

TEST(Json, RejectsTrailingGarbage) {
  EXPECT_NE(ParseError("{} x").find("after the top-level value at offset 3"), std::string::npos);
  ParseError("1 2");
  ParseError("[]]");
  ParseError("null,");
  ParseError(std::string("{}\0", 3));
}

TEST(Json, AcceptsOnlyRfcWhitespace) {
  EXPECT_EQ(ParseOk(" \t\n\r[ \t\n\r1 \t\n\r, 2 ] \t\n\r").as_array().size(), 2u);
  ParseError("\f1");
  ParseError("\v1");
  ParseError("1\xC2\xA0");  // U+00A0 NO-BREAK SPACE
  ParseError("   ");
}

TEST(Json, RejectsStructuralErrors) {
  for (const char* text : {"[1,]", "{\"a\":1,}", "{1:2}", "{'a':1}", "{\"a\"}", "{\"a\":}", "[",
                           "{", "]", "}", "[1}", "{\"a\":1]", "{,}", "[,1]", "'a'"}) {
    ParseError(text);
  }
}

TEST(Json, ObjectsKeepFileOrder) {
  json::Value v = ParseOk(R"({"b": 1, "a": [true, null, "x"], "c": {"d": -1.5}})");
  ASSERT_TRUE(v.is_object());
  const auto& members = v.as_object();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].first, "b");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ(members[2].first, "c");
  EXPECT_EQ(v.find("a")->as_array()[2].as_string(), "x");
  EXPECT_TRUE(v.find("a")->as_array()[1].is_null());
  EXPECT_EQ(v.find("c")->find("d")->as_number(), -1.5);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.find("a")->find("x"), nullptr);  // not an object
  EXPECT_EQ(v.size(), 3u);
}

TEST(Json, FindReturnsLastDuplicate) {
  json::Value small = ParseOk(R"({"k": 1, "other": 0, "k": 2})");
  EXPECT_EQ(small.as_object().size(), 3u);  // both kept in as_object()
  EXPECT_EQ(small.find("k")->as_int64(), 2);
  // Large objects use the sorted index; the rule must be the same.
  std::string text = "{";
  for (int i = 0; i < 100; ++i)
    text += "\"k" + std::to_string(i % 10) + "\": " + std::to_string(i) + ",";
  text += "\"end\": 0}";
  json::Value large = ParseOk(text);
  for (int j = 0; j < 10; ++j) {
    std::string key = "k";
    key += std::to_string(j);
    const json::Value* v = large.find(key);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->as_int64(), 90 + j);
  }
  EXPECT_EQ(large.find("k"), nullptr);
  EXPECT_EQ(large.find("k99"), nullptr);
  EXPECT_EQ(large.find(""), nullptr);
}

TEST(Json, WrongTypeAccessorsReturnEmptyValues) {
  json::Value s = ParseOk("\"text\"");
  EXPECT_FALSE(s.as_bool());
  EXPECT_EQ(s.as_number(), 0.0);
  EXPECT_EQ(s.as_int64(), 0);
  EXPECT_FALSE(s.is_integer());
  EXPECT_TRUE(s.as_array().empty());
  EXPECT_TRUE(s.as_object().empty());
  EXPECT_EQ(s.find("x"), nullptr);
  EXPECT_EQ(s.size(), 0u);
  json::Value n = ParseOk("3");
  EXPECT_EQ(n.as_string(), "");
  json::Value def;
  EXPECT_TRUE(def.is_null());
  EXPECT_EQ(def.as_string(), "");
}

TEST(Json, EnforcesDepthLimit) {
  const auto nested = [](size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  ParseOk(nested(256));
  EXPECT_NE(ParseError(nested(257)).find("nesting deeper than 256"), std::string::npos);
  json::ParseLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(json::Parse("[{\"a\":[1]}]", limits).ok());
  ParseError("[{\"a\":[[1]]}]", limits);
  // Far past the limit: fails fast without exhausting the stack.
  ParseError(std::string(1000000, '['));
  ParseError(std::string(1000000, '{'));
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  ParseError(objects);
}

TEST(Json, EnforcesValueLimit) {
  json::ParseLimits limits;
  limits.max_values = 4;  // the array and three elements
  EXPECT_TRUE(json::Parse("[1, 2, 3]", limits).ok());
  EXPECT_TRUE(json::Parse("{\"a\": 1, \"b\": [2]}", limits).ok());
  EXPECT_EQ(ParseError("[1, 2, 3, 4]", limits), "JSON: more than 4 values at offset 10");
  EXPECT_NE(ParseError("{\"a\": [[[]]], \"b\": 1}", limits).find("more than 4 values"),
            std::string::npos);
}

TEST(Json, ValuesAreCopyableAndMovable) {
  std::string text = "{";
  for (int i = 0; i < 40; ++i)
    text += "\"key" + std::to_string(i) + "\": [" + std::to_string(i) + "],";
  text += "\"last\": \"x\"}";
  json::Value original = ParseOk(text);
  json::Value copy = original;
  json::Value moved = std::move(original);
  for (const json::Value* v : {&copy, &moved}) {
    ASSERT_NE(v->find("key17"), nullptr);
    EXPECT_EQ(v->find("key17")->as_array()[0].as_int64(), 17);
    EXPECT_EQ(v->find("last")->as_string(), "x");
  }
}

TEST(Json, BuildersMakeFindableObjects) {
  json::Value::Object members;
  for (int i = 0; i < 20; ++i) {
    std::string key = "m";
    key += std::to_string(i);
    members.emplace_back(key, json::Value::MakeInteger(i));
  }
  members.emplace_back("s", json::Value::MakeString("v"));
  members.emplace_back(
      "a", json::Value::MakeArray({json::Value::MakeBool(true), json::Value::MakeNumber(0.5),
                                   json::Value::MakeNull()}));
  json::Value object = json::Value::MakeObject(std::move(members));
  EXPECT_EQ(object.find("m13")->as_int64(), 13);
  EXPECT_TRUE(object.find("m13")->is_integer());
  EXPECT_EQ(object.find("s")->as_string(), "v");
  EXPECT_EQ(object.find("a")->as_array()[1].as_number(), 0.5);
  EXPECT_FALSE(object.find("a")->as_array()[1].is_integer());
}

TEST(Json, QuoteEscapesAsRfc8259Requires) {
  EXPECT_EQ(json::Quote("plain"), "\"plain\"");
  EXPECT_EQ(json::Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json::Quote("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(json::Quote(std::string("\x01\x1f\0", 3)), "\"\\u0001\\u001f\\u0000\"");
  EXPECT_EQ(json::Quote("/\x7f"), "\"/\x7f\"");
  EXPECT_EQ(json::Quote(""), "\"\"");
}

TEST(Json, QuotePassesUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json::Quote("\xC3\xA9\xF0\x9F\x98\x80"), "\"\xC3\xA9\xF0\x9F\x98\x80\"");
  EXPECT_EQ(json::Quote("a\xFF"
                        "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(json::Quote("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // encoded surrogate
  EXPECT_EQ(json::Quote("\xE2\x82"), "\"\\ufffd\\ufffd\"");             // truncated
  EXPECT_EQ(json::Quote("\xC0\xAF"), "\"\\ufffd\\ufffd\"");             // overlong '/'
}

TEST(Json, QuoteRoundTripsThroughParse) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 2000; ++trial) {
    // Valid UTF-8 from random code points (no surrogates) comes back unchanged.
    std::string valid;
    for (int i = static_cast<int>(rng() % 16); i > 0; --i) {
      uint32_t cp = rng() % 0x110000;
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = rng() % 0x80;
      valid += EncodeUtf8(cp);
    }
    auto back = json::Parse(json::Quote(valid));
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(back->as_string(), valid);

    // Arbitrary bytes always quote to valid JSON.
    std::string bytes(rng() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    auto parsed = json::Parse(json::Quote(bytes));
    ASSERT_TRUE(parsed.ok()) << parsed.message();
  }
}

TEST(Json, NumberToStringIsShortestRoundTrip) {
  // Expected strings are what Python 3's repr(float) prints (its shortest round-trip
  // algorithm), except that integral values below 1e16 have no ".0".
  EXPECT_EQ(json::NumberToString(0.1), "0.1");
  EXPECT_EQ(json::NumberToString(0.3), "0.3");
  EXPECT_EQ(json::NumberToString(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(json::NumberToString(123.456), "123.456");
  EXPECT_EQ(json::NumberToString(-2.5e-10), "-2.5e-10");
  EXPECT_EQ(json::NumberToString(1e-7), "1e-07");
  EXPECT_EQ(json::NumberToString(1.5e20), "1.5e+20");
  EXPECT_EQ(json::NumberToString(1e16), "1e+16");
  EXPECT_EQ(json::NumberToString(5e-324), "5e-324");
  EXPECT_EQ(json::NumberToString(DBL_MAX), "1.7976931348623157e+308");
  EXPECT_EQ(json::NumberToString(1.0), "1");
  EXPECT_EQ(json::NumberToString(0.0), "0");
  EXPECT_EQ(json::NumberToString(-0.0), "-0");
  EXPECT_EQ(json::NumberToString(-42.0), "-42");
  EXPECT_EQ(json::NumberToString(9007199254740994.0), "9007199254740994");
  EXPECT_EQ(json::NumberToString(NAN), "null");
  EXPECT_EQ(json::NumberToString(-INFINITY), "null");
}

TEST(Json, NumberToStringRoundTripsRandomDoubles) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    const std::string text = json::NumberToString(v);
    auto parsed = json::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.message();
    EXPECT_EQ(parsed->as_number(), v) << text;
    EXPECT_EQ(std::signbit(parsed->as_number()), std::signbit(v)) << text;
  }
}

TEST(Json, FloatToStringIsShortestForFloats) {
  // The fewest significant digits that strtof reads back exactly (FLT_MAX needs 8).
  EXPECT_EQ(json::FloatToString(0.1f), "0.1");
  EXPECT_EQ(json::FloatToString(1e-5f), "1e-05");
  EXPECT_EQ(json::FloatToString(3.4028235e38f), "3.4028235e+38");
  EXPECT_EQ(json::FloatToString(2.0f), "2");
  EXPECT_EQ(json::NumberToString(0.1f), "0.10000000149011612");  // as a double
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint32_t bits = rng();
    float v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    const std::string text = json::FloatToString(v);
    EXPECT_EQ(std::strtof(text.c_str(), nullptr), v) << text;
  }
}

TEST(Json, SurvivesRandomMutations) {
  const std::string base =
      R"({"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", true, null], "b": {"c": {"d": []}}, "e": ""})";
  ASSERT_TRUE(json::Parse(base).ok());
  std::mt19937 rng(42);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          text.erase(pos, 1);
          break;
        default:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos),
                      "{}[]\",:\\u0-e"[rng() % 12]);
          break;
      }
      if (text.empty()) text.push_back('x');
    }
    auto result = json::Parse(text);  // must not crash; either outcome is fine
    if (!result.ok()) {
      EXPECT_EQ(result.message().rfind("JSON: ", 0), 0u) << result.message();
    }
  }
}

TEST(Json, ParsesHuggingFaceConfig) {
  const std::string path =
      std::string(TINYLM_SHARED_DIR) + "/fixtures/models/llama-mha/config.json";
  const std::string text = ReadFile(path);
  if (text.empty()) GTEST_SKIP() << path << " is absent (shared fixtures not beside the repo)";
  json::Value config = ParseOk(text);
  // Values as written in the file (see ../shared/fixtures/models/README.md).
  EXPECT_EQ(config.find("hidden_size")->as_int64(), 64);
  EXPECT_EQ(config.find("intermediate_size")->as_int64(), 172);
  EXPECT_EQ(config.find("rms_norm_eps")->as_number(), 1e-05);
  EXPECT_FALSE(config.find("rope_theta")->is_integer());  // "10000.0"
  EXPECT_EQ(config.find("rope_theta")->as_number(), 10000.0);
  EXPECT_TRUE(config.find("rope_scaling")->is_null());
  EXPECT_FALSE(config.find("tie_word_embeddings")->as_bool());
  EXPECT_EQ(config.find("architectures")->as_array()[0].as_string(), "LlamaForCausalLM");
}

TEST(Json, ParsesLargeTokenizerJson) {
  const std::string path =
      std::string(TINYLM_SHARED_DIR) + "/fixtures/tokenizers/gpt2/tokenizer.json";
  const std::string text = ReadFile(path);
  if (text.empty()) GTEST_SKIP() << path << " is absent (shared fixtures not beside the repo)";
  json::Value root = ParseOk(text);
  const json::Value* model = root.find("model");
  ASSERT_NE(model, nullptr);
  const json::Value* vocab = model->find("vocab");
  const json::Value* merges = model->find("merges");
  ASSERT_NE(vocab, nullptr);
  ASSERT_NE(merges, nullptr);
  // 50257 tokens (fixtures README) and 50000 merges; the ids of "hello" and "\u0120the" are
  // as Python's json.load reads them.
  EXPECT_EQ(vocab->as_object().size(), 50257u);
  EXPECT_EQ(merges->as_array().size(), 50000u);
  EXPECT_EQ(vocab->find("hello")->as_int64(), 31373);
  EXPECT_EQ(vocab->find("\xC4\xA0the")->as_int64(), 262);
  EXPECT_EQ(merges->as_array()[0].as_string(), "\xC4\xA0 t");
  // Every member is found through the index.
  for (const auto& [token, id] : vocab->as_object()) {
    const json::Value* found = vocab->find(token);
    ASSERT_NE(found, nullptr) << token;
    ASSERT_EQ(found->as_int64(), id.as_int64()) << token;
  }
}

}  // namespace
}  // namespace tinylm
