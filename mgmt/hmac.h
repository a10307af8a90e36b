/*
 * HMAC-SHA256 for the management protocol, computed by BearSSL (third_party/bearssl, fetched
 * by tools/bearssl/fetch.sh), plus a constant-time comparison for checking tags.
 */
#ifndef IXOS_MGMT_HMAC_H
#define IXOS_MGMT_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGMT_HMAC_LEN 32

/* tag = HMAC-SHA256(key[0..key_len), data[0..len)). Any key length works (RFC 2104). */
void mgmt_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		      uint8_t tag[MGMT_HMAC_LEN]);

/*
 * tag = HMAC-SHA256(key, a[0..alen) || b[0..blen)): the MAC of two adjacent pieces without
 * copying them together (the protocol MACs header || payload).
 */
void mgmt_hmac_sha256_2(const void *key, size_t key_len, const void *a, size_t alen, const void *b,
			size_t blen, uint8_t tag[MGMT_HMAC_LEN]);

/* True if a[0..n) equals b[0..n); the time taken depends only on n. */
bool mgmt_ct_equal(const void *a, const void *b, size_t n);

#endif
