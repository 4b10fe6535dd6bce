// Models for tests, converted in memory (no files written).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "convert/converter.h"
#include "model/model.h"

namespace tinylm::testing {

// The repository's own stories260K (models/, MIT), converted at `type`; null (with a test
// failure recorded) if that fails.
inline std::unique_ptr<Model> LoadBuiltInStories(TensorType type = TensorType::F32) {
  const std::string dir = std::string(TINYLM_SOURCE_DIR) + "/models";
  ConvertOptions options;
  options.tokenizer_path = dir + "/tok512.bin";
  options.type = type;
  auto imported = ImportModel(dir + "/stories260K.bin", options);
  EXPECT_TRUE(imported.ok()) << imported.message();
  if (!imported.ok()) return nullptr;
  auto bytes = BuildSlm(*imported, options, nullptr);
  EXPECT_TRUE(bytes.ok()) << bytes.message();
  if (!bytes.ok()) return nullptr;
  auto mapped = MappedFile::FromBytes(bytes->data(), bytes->size());
  EXPECT_TRUE(mapped.ok());
  if (!mapped.ok()) return nullptr;
  auto model = Model::FromMapped(std::move(mapped).value());
  EXPECT_TRUE(model.ok()) << model.message();
  return model.ok() ? std::move(model).value() : nullptr;
}

}  // namespace tinylm::testing
