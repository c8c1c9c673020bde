// Size limits every decoder applies, so that one request is valid (or not) in every wire
// format, and so that a hostile body cannot make a decoder allocate or loop without bound.

/** Input tensors per request, and requested outputs per request. */
export const MAX_TENSORS = 256;
/** Dimensions per tensor shape. */
export const MAX_RANK = 8;
/** Request parameters. */
export const MAX_PARAMETERS = 64;
/** UTF-8 bytes of a model name, version, id, tensor name or parameter key (FlatBuffers). */
export const MAX_NAME_BYTES = 1024;
/** UTF-8 bytes of a parameter string value or an error message (FlatBuffers). */
export const MAX_STRING_BYTES = 65536;
