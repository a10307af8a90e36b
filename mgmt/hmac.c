/* HMAC-SHA256 through BearSSL's br_hmac_* with br_sha256_vtable; constant-time compare. */
#include "mgmt/hmac.h"

#include "bearssl_hmac.h"
#include "bearssl_hash.h"

void mgmt_hmac_sha256_2(const void *key, size_t key_len, const void *a, size_t alen, const void *b,
			size_t blen, uint8_t tag[MGMT_HMAC_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context ctx;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
	br_hmac_init(&ctx, &kc, 0);
	if (alen)
		br_hmac_update(&ctx, a, alen);
	if (blen)
		br_hmac_update(&ctx, b, blen);
	br_hmac_out(&ctx, tag);
}

void mgmt_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		      uint8_t tag[MGMT_HMAC_LEN])
{
	mgmt_hmac_sha256_2(key, key_len, data, len, NULL, 0, tag);
}

bool mgmt_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}
