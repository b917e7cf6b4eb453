/* libFuzzer harness: the order-number input (apiv3_order_check) and the
 * request target built from an accepted order.
 *
 * Properties checked beyond "no crash": an accepted order is 6-32 characters
 * of [0-9A-Za-z_*|-], and its request target decodes back to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiv3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the %XX escapes of the order segment of a target. */
static void check_target(const char *order)
{
	char *target = apiv3_target(order);
	size_t plen = strlen(APIV3_PATH_PREFIX);
	char decoded[3 * APIV3_ORDER_MAX + 1];
	size_t n = 0;
	const char *p;

	if (!target || strncmp(target, APIV3_PATH_PREFIX, plen) != 0)
		abort();
	for (p = target + plen; *p && *p != '/'; p++) {
		if (n >= sizeof(decoded) - 1)
			abort();
		if (*p == '%') {
			int hi = hexval(p[1]);
			int lo = hi < 0 ? -1 : hexval(p[2]);

			if (lo < 0)
				abort();
			decoded[n++] = (char)(hi * 16 + lo);
			p += 2;
		} else {
			decoded[n++] = *p;
		}
	}
	decoded[n] = '\0';
	if (strcmp(decoded, order) != 0 || strcmp(p, "/reverse") != 0)
		abort();
	free(target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = malloc(size + 1);
	char out[APIV3_ORDER_MAX + 1];
	struct wx_err err;
	size_t len;

	if (!input)
		return 0;
	memcpy(input, data, size);
	input[size] = '\0';
	memset(out, 0x5a, sizeof(out));
	err.msg[0] = '\0';
	if (apiv3_order_check(input, out, sizeof(out), &err) == 0) {
		len = strnlen(out, sizeof(out));
		if (len < APIV3_ORDER_MIN || len > APIV3_ORDER_MAX)
			abort();
		if (strspn(out, "0123456789abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ_*|-") != len)
			abort();
		check_target(out);
	} else if (err.msg[0] == '\0' ||
		   strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg)) {
		abort(); /* a refusal must say why, in a terminated string */
	}
	free(input);
	return 0;
}
