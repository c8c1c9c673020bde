#include "js_util.h"

#include "errors.h"

namespace infergate {

namespace {

size_t ElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;  // float64, bigint64, biguint64
  }
}

}  // namespace

TypedArrayView GetTypedArray(napi_env env, napi_value value) {
  TypedArrayView v;
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return v;
  size_t length = 0;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, value, &v.type, &length, &v.data, &buffer, &offset) != napi_ok) return v;
  v.byteLength = length * ElementSize(v.type);
  v.isTypedArray = true;
  return v;
}

std::string JsTypeName(const Napi::Value& value) {
  napi_env env = value.Env();
  TypedArrayView ta = GetTypedArray(env, value);
  if (ta.isTypedArray) {
    switch (ta.type) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_bigint64_array: return "BigInt64Array";
      case napi_biguint64_array: return "BigUint64Array";
      default: return "a typed array";
    }
  }
  if (value.IsNull()) return "null";
  if (value.IsUndefined()) return "undefined";
  if (value.IsArray()) return "Array";
  if (value.IsArrayBuffer()) return "ArrayBuffer";
  if (value.IsDataView()) return "DataView";
  if (value.IsString()) return "string";
  if (value.IsNumber()) return "number";
  if (value.IsBoolean()) return "boolean";
  if (value.IsBigInt()) return "bigint";
  if (value.IsFunction()) return "function";
  return "object";
}

Napi::Value NewTypedArray(Napi::Env env, napi_typedarray_type type, size_t elemSize, size_t bytes, void** data) {
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes);
  *data = ab.Data();
  napi_value out;
  napi_status st = napi_create_typedarray(env, type, bytes / elemSize, ab, 0, &out);
  if (st != napi_ok) throw Napi::Error::New(env, "cannot create the output typed array");
  return Napi::Value(env, out);
}

std::vector<std::string> OwnKeys(Napi::Env env, const Napi::Object& object) {
  napi_value names;
  napi_status st = napi_get_all_property_names(env, object, napi_key_own_only,
                                               static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                               napi_key_numbers_to_strings, &names);
  if (st != napi_ok) throw Napi::Error::New(env, "cannot list object keys");
  Napi::Array arr(env, names);
  std::vector<std::string> keys;
  keys.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) keys.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
  return keys;
}

std::string FormatShape(const std::vector<int64_t>& dims, const std::vector<std::string>* names) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    if (dims[i] >= 0) s += std::to_string(dims[i]);
    else s += (names && i < names->size() && !(*names)[i].empty()) ? (*names)[i] : "?";
  }
  return s + "]";
}

}  // namespace infergate
