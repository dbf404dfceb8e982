/*
 * sha256_core.h: SHA-256 (FIPS 180-4) in plain C, for the keyed random draw.
 *
 * The server's cryptohash API makes and frees a resource-owned context around every
 * digest, which costs several times the digest of a short message; a batch draws a
 * million of them.  This one lives on the stack.
 */
#ifndef CR_SHA256_CORE_H
#define CR_SHA256_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_SHA256_LEN 32

typedef struct CrSha256
{
	uint32_t	h[8];
	uint64_t	nbytes;			/* message length so far */
	uint8_t		buf[64];		/* the block being filled */
	size_t		nbuf;
} CrSha256;

/*
 * Blocks go through the CPU's SHA instructions where it has them, else through portable C;
 * set true, the portable C always (the unit test compares the two).
 */
extern bool cr_sha256_portable_only;

extern void cr_sha256_init(CrSha256 *s);
extern void cr_sha256_update(CrSha256 *s, const void *data, size_t len);
extern void cr_sha256_final(CrSha256 *s, uint8_t out[CR_SHA256_LEN]);

#endif
