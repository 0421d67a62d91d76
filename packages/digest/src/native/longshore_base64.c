/*
 * Canonical base64 decoded from bytes into bytes, for the ECR door's part bodies
 * (apps/api/src/ecr/blob-member-scanner.ts): a body's 64 KiB socket chunks are decoded straight
 * into the part's decode slot, with no latin1 string per chunk (Node's decoder only takes
 * strings) and no garbage for the scavenger.
 *
 * decodeBase64(src, dst, dstOffset) decodes all of `src` at `dst[dstOffset..]` and answers the
 * bytes written, or -1 when `src` is not plain canonical base64: a length that is not a multiple
 * of 4, a character outside A-Z a-z 0-9 + /, '=' anywhere but as the last one or two characters,
 * or too little room in `dst` (nothing is promised about dst then; the caller decodes the chunk
 * its own way, which then decides). Where it answers, the bytes are the ones Node's
 * Buffer.from(s, 'base64') gives for the same text (a padded group's unused bits dropped alike).
 *
 * Whole 32-character blocks are decoded with AVX2 when the CPU has it (checked once at load):
 * the nibble-lookup validation and translation of Wojciech Muła's and Alfred Klomp's SIMD base64
 * (aklomp/base64, BSD-2-Clause; the algorithm, re-typed here); everything else, and CPUs without
 * AVX2, by a table per character.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint8_t table[256];

static void init_table(void) {
  memset(table, 0xff, sizeof table);
  const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; i++) table[(uint8_t)alphabet[i]] = (uint8_t)i;
}

/* Whole unpadded groups, scalar: bytes written, or -1 at a character outside the alphabet. */
static long decode_scalar(const uint8_t *src, size_t groups, uint8_t *dst) {
  uint8_t *out = dst;
  for (size_t g = 0; g < groups; g++, src += 4) {
    uint32_t a = table[src[0]], b = table[src[1]], c = table[src[2]], d = table[src[3]];
    if ((a | b | c | d) & 0x80) return -1;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    out[0] = (uint8_t)(v >> 16);
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)v;
    out += 3;
  }
  return (long)(out - dst);
}

#if defined(__x86_64__)
static int have_avx2;
/* 32 characters to 24 bytes per round while at least `rounds`; returns rounds done (stops at a bad character). */
__attribute__((target("avx2"))) static size_t decode_avx2(const uint8_t *src, size_t rounds, uint8_t *dst) {
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B,
                                          0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4, -65,
                                            -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2f);
  const __m256i merge1 = _mm256_set1_epi32(0x01400140);
  const __m256i merge2 = _mm256_set1_epi32(0x00011000);
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10, 9,
                                        8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  size_t done = 0;
  for (; done < rounds; done++, src += 32, dst += 24) {
    __m256i str = _mm256_loadu_si256((const __m256i *)src);
    const __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(str, 4), mask_2f);
    const __m256i lo_nibbles = _mm256_and_si256(str, mask_2f);
    const __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nibbles);
    const __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nibbles);
    if (!_mm256_testz_si256(lo, hi)) break;
    const __m256i eq_2f = _mm256_cmpeq_epi8(str, mask_2f);
    const __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nibbles));
    str = _mm256_add_epi8(str, roll);
    __m256i out = _mm256_madd_epi16(_mm256_maddubs_epi16(str, merge1), merge2);
    out = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(out, pack), lanes);
    _mm256_storeu_si256((__m256i *)dst, out);
  }
  return done;
}
#endif

/* Canonical base64 (length a multiple of 4, '=' only as the last one or two characters) into dst: bytes, or -1. */
static long decode(const uint8_t *src, size_t length, uint8_t *dst, size_t room) {
  if (length % 4 != 0) return -1;
  if (length == 0) return 0;
  size_t padding = src[length - 1] == '=' ? (src[length - 2] == '=' ? 2 : 1) : 0;
  size_t groups = length / 4;
  size_t bytes = groups * 3 - padding;
  if (bytes > room) return -1;
  size_t whole = padding ? groups - 1 : groups; /* groups without padding */
  size_t at = 0; /* characters decoded */
  uint8_t *out = dst;
#if defined(__x86_64__)
  /* Each round stores 32 bytes (24 kept): only while 8 more bytes of room are left behind it. */
  if (have_avx2 && whole >= 8) {
    size_t rounds = (whole * 4) / 32;
    while (rounds > 0 && (size_t)(out - dst) + rounds * 24 + 8 > room) rounds--;
    size_t done = decode_avx2(src, rounds, out);
    if (done < rounds) return -1;
    at = done * 32;
    out += done * 24;
  }
#endif
  long tail = decode_scalar(src + at, whole - at / 4, out);
  if (tail < 0) return -1;
  out += tail;
  if (padding) {
    const uint8_t *g = src + (groups - 1) * 4;
    uint32_t a = table[g[0]], b = table[g[1]];
    uint32_t c = padding == 1 ? table[g[2]] : 0;
    if ((a | b | c) & 0x80) return -1;
    uint32_t v = a << 18 | b << 12 | c << 6;
    *out++ = (uint8_t)(v >> 16);
    if (padding == 1) *out++ = (uint8_t)(v >> 8);
  }
  return (long)(out - dst);
}

static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  size_t count, offset;
  void *base;
  napi_value buffer;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = base;
  *length = count;
  return 1;
}

/* decodeBase64(src: Uint8Array, dst: Uint8Array, dstOffset: number): bytes written at dstOffset, or -1. */
static napi_value js_decode(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *src, *dst;
  size_t src_length, dst_length;
  int64_t offset = 0;
  long written = -1;
  if (argc == 3 && bytes_of(env, argv[0], &src, &src_length) && bytes_of(env, argv[1], &dst, &dst_length) &&
      napi_get_value_int64(env, argv[2], &offset) == napi_ok && offset >= 0 && (size_t)offset <= dst_length) {
    written = decode(src, src_length, dst + offset, dst_length - (size_t)offset);
  } else {
    napi_throw_type_error(env, NULL, "decodeBase64(src: Uint8Array, dst: Uint8Array, dstOffset: number)");
    return NULL;
  }
  napi_create_int64(env, written, &result);
  return result;
}

NAPI_MODULE_INIT() {
  init_table();
#if defined(__x86_64__)
  __builtin_cpu_init();
  have_avx2 = __builtin_cpu_supports("avx2");
#endif
  napi_value fn;
  napi_create_function(env, "decodeBase64", NAPI_AUTO_LENGTH, js_decode, NULL, &fn);
  napi_set_named_property(env, exports, "decodeBase64", fn);
  return exports;
}
