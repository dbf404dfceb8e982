/*
 * sha256_test.c: the SHA-256 behind the keyed random draw against the FIPS 180-4 examples,
 * fed whole and in pieces (the draw hashes the key and the id in two updates).
 */
#include <stdio.h>
#include <string.h>

#include "sha256_core.h"
#include "tap.h"

static void
hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < CR_SHA256_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* the digest of msg fed in pieces of at most step bytes */
static void
digest_in_steps(const char *msg, size_t len, size_t step, char *out)
{
	CrSha256	s;
	uint8_t		d[CR_SHA256_LEN];

	cr_sha256_init(&s);
	for (size_t i = 0; i < len; i += step)
		cr_sha256_update(&s, msg + i, len - i < step ? len - i : step);
	cr_sha256_final(&s, d);
	hex(d, out);
}

int
main(void)
{
	static const struct
	{
		const char *msg;
		const char *digest;
	}			cases[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	};
	static char million[1000000];
	char		out[2 * CR_SHA256_LEN + 1];
	char		name[160];

	/* each example through the CPU's SHA instructions (where it has them), then portable C */
	for (int portable = 0; portable <= 1; portable++)
	{
		const char *how = portable ? "portable C" : "the default path";

		cr_sha256_portable_only = portable;
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		{
			size_t		len = strlen(cases[k].msg);
			int			good = 1;

			/* whole, byte by byte, and in pieces that straddle the 64-byte blocks */
			for (size_t step = 1; step <= 70; step += (step < 8 ? 1 : 31))
			{
				digest_in_steps(cases[k].msg, len, step, out);
				good &= strcmp(out, cases[k].digest) == 0;
			}
			digest_in_steps(cases[k].msg, len, len + 1, out);
			good &= strcmp(out, cases[k].digest) == 0;
			snprintf(name, sizeof(name), "SHA-256 of the %zu-byte FIPS example, whole and in pieces (%s)", len, how);
			ok(good, name);
		}
		memset(million, 'a', sizeof(million));
		digest_in_steps(million, sizeof(million), 4096 + 17, out);
		snprintf(name, sizeof(name), "SHA-256 of a million 'a's (%s)", how);
		ok(strcmp(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, name);
	}

	/* both paths agree on pseudo-random messages of 0 to 300 bytes */
	{
		int			same = 1;
		uint32_t	x = 2463534242u;

		for (size_t len = 0; len <= 300; len++)
		{
			char		a[2 * CR_SHA256_LEN + 1];

			for (size_t i = 0; i < len; i++)
			{
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				million[i] = (char) x;
			}
			cr_sha256_portable_only = false;
			digest_in_steps(million, len, 64, a);
			cr_sha256_portable_only = true;
			digest_in_steps(million, len, 64, out);
			same &= strcmp(a, out) == 0;
		}
		cr_sha256_portable_only = false;
		ok(same, "the default path and portable C give the same digests for 0 to 300 random bytes");
	}
	return done_testing();
}
