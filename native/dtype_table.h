// The one table mapping ONNX Runtime element types <-> infergate dtype names (src/runtime/types.ts
// OrtDType) <-> the JS typed-array class that carries the data. Everything that converts tensors
// looks types up here; the static_asserts keep the table and the C++ types in step.
#pragma once

#include <node_api.h>
#include <onnxruntime_c_api.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace infergate {

struct DTypeInfo {
  const char* name;                // OrtDType as JS spells it
  ONNXTensorElementDataType ort;   // ORT element type
  napi_typedarray_type array;      // typed-array class carrying it (unused for strings)
  const char* arrayName;           // for messages: "Float32Array"
  size_t elemSize;                 // bytes per element; 0 for strings
  bool isString;
};

inline constexpr DTypeInfo kDTypes[] = {
    {"float32", ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, napi_float32_array, "Float32Array", 4, false},
    {"float16", ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, napi_uint16_array, "Uint16Array", 2, false},
    {"float64", ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, napi_float64_array, "Float64Array", 8, false},
    {"int8", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, napi_int8_array, "Int8Array", 1, false},
    {"int16", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, napi_int16_array, "Int16Array", 2, false},
    {"int32", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, napi_int32_array, "Int32Array", 4, false},
    {"int64", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, napi_bigint64_array, "BigInt64Array", 8, false},
    {"uint8", ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, napi_uint8_array, "Uint8Array", 1, false},
    {"uint16", ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, napi_uint16_array, "Uint16Array", 2, false},
    {"uint32", ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, napi_uint32_array, "Uint32Array", 4, false},
    {"uint64", ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, napi_biguint64_array, "BigUint64Array", 8, false},
    {"bool", ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, napi_uint8_array, "Uint8Array", 1, false},
    {"string", ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, napi_uint8_array, "string[]", 0, true},
};
inline constexpr size_t kDTypeCount = sizeof(kDTypes) / sizeof(kDTypes[0]);

// The byte size ORT uses for each element type, independent of the table, to check it.
constexpr size_t OrtElementSize(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return sizeof(float);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return sizeof(uint16_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return sizeof(double);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return sizeof(int8_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16: return sizeof(int16_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return sizeof(int32_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return sizeof(int64_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return sizeof(uint8_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16: return sizeof(uint16_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32: return sizeof(uint32_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64: return sizeof(uint64_t);
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return sizeof(bool);
    default: return 0;
  }
}

constexpr bool TableIsConsistent() {
  for (size_t i = 0; i < kDTypeCount; ++i) {
    if (kDTypes[i].elemSize != OrtElementSize(kDTypes[i].ort)) return false;
    for (size_t j = i + 1; j < kDTypeCount; ++j) {
      if (kDTypes[i].ort == kDTypes[j].ort) return false;  // one row per ORT type
    }
  }
  return true;
}

static_assert(kDTypeCount == 13, "the table must cover every OrtDType in src/runtime/types.ts");
static_assert(TableIsConsistent(), "dtype table element sizes must match ORT's");
static_assert(sizeof(bool) == 1, "ORT bool tensors are 1 byte per element (JS Uint8Array)");
static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE float sizes expected");

constexpr const DTypeInfo* DTypeByOrt(ONNXTensorElementDataType t) {
  for (const auto& d : kDTypes) {
    if (d.ort == t) return &d;
  }
  return nullptr;
}

constexpr const DTypeInfo* DTypeByName(std::string_view name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

static_assert(DTypeByName("int64")->array == napi_bigint64_array, "int64 travels as BigInt64Array");
static_assert(DTypeByName("float16")->array == napi_uint16_array, "float16 travels as raw Uint16Array");
static_assert(DTypeByOrt(ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL)->array == napi_uint8_array, "bool travels as Uint8Array");

// Names of ORT element types we do not support, for clear load-time messages.
const char* OrtTypeName(ONNXTensorElementDataType t);

}  // namespace infergate
