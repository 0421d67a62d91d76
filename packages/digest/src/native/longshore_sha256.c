/*
 * Resumable SHA-256 over the SHA-256 of the OpenSSL that Node itself links and exports
 * (SHA256_Init/Update/Final are resolved against the node binary when the addon is loaded, so
 * nothing links libcrypto and the digest runs OpenSSL's assembly, with its CPU dispatch).
 *
 * The hashing context lives in a Buffer that JavaScript owns (no finalizers, no handles):
 *   init()            -> ctx
 *   update(ctx, data) -> undefined          data: any TypedArray or Buffer
 *   save(ctx)         -> state              the portable state below, independent of OpenSSL
 *   load(state)       -> ctx                throws on anything that is not a valid state
 *   digest(ctx)       -> 32-byte Buffer     ctx is finished afterwards
 *
 * Portable state, 110 bytes (integers big-endian):
 *   0  "LSS2"   magic   4  version (1)   5  h[0..7] (32 bytes)   37  total bytes hashed (u64)
 *   45 pending byte count (total mod 64)   46  pending bytes, zero-padded to 64
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define STATE_SIZE 110
static const unsigned char MAGIC[4] = {'L', 'S', 'S', '2'};
#define STATE_VERSION 1

#define CHECK(call)                                                 \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error(env, NULL, "longshore_sha256: " #call);      \
      return NULL;                                                  \
    }                                                               \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* Bytes of a Buffer or any TypedArray (byte view). */
static int bytes_of(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  size_t count = 0, offset = 0;
  void *base = NULL;
  napi_value buffer;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
  size_t element = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: element = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: element = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: element = 8; break;
    default: element = 1;
  }
  *data = (unsigned char *)base;
  *length = count * element;
  return 1;
}

static int read_ctx(napi_env env, napi_value value, SHA256_CTX *ctx) {
  unsigned char *data = NULL;
  size_t length = 0;
  if (!bytes_of(env, value, &data, &length) || length != sizeof(SHA256_CTX)) return 0;
  memcpy(ctx, data, sizeof(SHA256_CTX)); /* the Buffer's alignment is not ours to assume */
  return 1;
}

static napi_value new_ctx(napi_env env, const SHA256_CTX *ctx) {
  void *data = NULL;
  napi_value result;
  CHECK(napi_create_buffer_copy(env, sizeof(SHA256_CTX), ctx, &data, &result));
  return result;
}

static napi_value args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < want) return fail(env, "longshore_sha256: missing argument");
  return argv[0];
}

static napi_value js_init(napi_env env, napi_callback_info info) {
  (void)info;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  return new_ctx(env, &ctx);
}

static napi_value js_update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  unsigned char *ctx_bytes = NULL, *data = NULL;
  size_t ctx_length = 0, length = 0;
  if (!bytes_of(env, argv[0], &ctx_bytes, &ctx_length) || ctx_length != sizeof(SHA256_CTX))
    return fail(env, "longshore_sha256: update: not a hashing context");
  if (!bytes_of(env, argv[1], &data, &length)) return fail(env, "longshore_sha256: update: data must be bytes");
  SHA256_CTX ctx;
  memcpy(&ctx, ctx_bytes, sizeof ctx);
  SHA256_Update(&ctx, data, length);
  memcpy(ctx_bytes, &ctx, sizeof ctx);
  return NULL;
}

static void put_be32(unsigned char *out, uint32_t v) {
  out[0] = (unsigned char)(v >> 24); out[1] = (unsigned char)(v >> 16);
  out[2] = (unsigned char)(v >> 8);  out[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *in) {
  return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

static napi_value js_save(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  SHA256_CTX ctx;
  if (!read_ctx(env, argv[0], &ctx)) return fail(env, "longshore_sha256: save: not a hashing context");
  unsigned char state[STATE_SIZE];
  memset(state, 0, sizeof state);
  memcpy(state, MAGIC, 4);
  state[4] = STATE_VERSION;
  for (int i = 0; i < 8; i++) put_be32(state + 5 + 4 * i, ctx.h[i]);
  uint64_t bits = ((uint64_t)ctx.Nh << 32) | ctx.Nl;
  uint64_t total = bits >> 3;
  put_be32(state + 37, (uint32_t)(total >> 32));
  put_be32(state + 41, (uint32_t)total);
  state[45] = (unsigned char)ctx.num;
  memcpy(state + 46, (const unsigned char *)ctx.data, ctx.num);
  void *data = NULL;
  napi_value result;
  CHECK(napi_create_buffer_copy(env, sizeof state, state, &data, &result));
  return result;
}

static napi_value js_load(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  unsigned char *state = NULL;
  size_t length = 0;
  if (!bytes_of(env, argv[0], &state, &length) || length != STATE_SIZE || memcmp(state, MAGIC, 4) != 0 ||
      state[4] != STATE_VERSION)
    return fail(env, "longshore_sha256: load: not a saved state of this format");
  uint64_t total = ((uint64_t)get_be32(state + 37) << 32) | get_be32(state + 41);
  unsigned int pending = state[45];
  if (pending >= SHA256_CBLOCK || pending != (unsigned int)(total % SHA256_CBLOCK) || total > (UINT64_MAX >> 3))
    return fail(env, "longshore_sha256: load: inconsistent saved state");
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  for (int i = 0; i < 8; i++) ctx.h[i] = get_be32(state + 5 + 4 * i);
  uint64_t bits = total << 3;
  ctx.Nl = (SHA_LONG)(bits & 0xffffffffu);
  ctx.Nh = (SHA_LONG)(bits >> 32);
  memcpy((unsigned char *)ctx.data, state + 46, pending);
  ctx.num = pending;
  return new_ctx(env, &ctx);
}

static napi_value js_digest(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  unsigned char *ctx_bytes = NULL;
  size_t ctx_length = 0;
  if (!bytes_of(env, argv[0], &ctx_bytes, &ctx_length) || ctx_length != sizeof(SHA256_CTX))
    return fail(env, "longshore_sha256: digest: not a hashing context");
  SHA256_CTX ctx;
  memcpy(&ctx, ctx_bytes, sizeof ctx);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, &ctx);
  memcpy(ctx_bytes, &ctx, sizeof ctx);
  void *data = NULL;
  napi_value result;
  CHECK(napi_create_buffer_copy(env, sizeof md, md, &data, &result));
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor properties[] = {
    {"init", NULL, js_init, NULL, NULL, NULL, napi_enumerable, NULL},
    {"update", NULL, js_update, NULL, NULL, NULL, napi_enumerable, NULL},
    {"save", NULL, js_save, NULL, NULL, NULL, napi_enumerable, NULL},
    {"load", NULL, js_load, NULL, NULL, NULL, napi_enumerable, NULL},
    {"digest", NULL, js_digest, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok)
    return NULL;
  return exports;
}
