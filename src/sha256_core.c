/*
 * sha256_core.c: SHA-256 as FIPS 180-4 specifies it (see sha256_core.h for why).
 * The regression test `selection` checks it against the server's sha256().
 */
#include "sha256_core.h"

#include <stdbool.h>
#include <string.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* One 64-byte block into the state, in portable C. */
static void
CompressPortable(uint32_t h[8], const uint8_t *p)
{
	uint32_t	w[64];
	uint32_t	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];

	for (int i = 0; i < 16; i++)
		w[i] = ((uint32_t) p[4 * i] << 24) | ((uint32_t) p[4 * i + 1] << 16) |
			((uint32_t) p[4 * i + 2] << 8) | (uint32_t) p[4 * i + 3];
	for (int i = 16; i < 64; i++)
	{
		uint32_t	s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t	s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (int i = 0; i < 64; i++)
	{
		uint32_t	t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t	t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += k;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/*
 * The same with the SHA extensions of x86 (Intel since Goldmont and Ice Lake, AMD since Zen):
 * a block in about a tenth of the time.  The state is kept as ABEF and CDGH, the order the
 * round instruction wants; each round pair adds four schedule words and their constants.
 */
__attribute__((target("sha,sse4.1")))
static void
CompressShaNi(uint32_t h[8], const uint8_t *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i		w[16];
	__m128i		tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &h[0]), 0xB1);	/* CDAB */
	__m128i		s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &h[4]), 0x1B);	/* EFGH */
	__m128i		s0 = _mm_alignr_epi8(tmp, s1, 8);	/* ABEF */
	__m128i		abef,
				cdgh;

	s1 = _mm_blend_epi16(s1, tmp, 0xF0);	/* CDGH */
	abef = s0;
	cdgh = s1;
	for (int i = 0; i < 4; i++)
		w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (p + 16 * i)), bswap);
	for (int i = 4; i < 16; i++)
		w[i] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
												  _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
									w[i - 1]);
	for (int i = 0; i < 16; i++)
	{
		__m128i		m = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *) &K[4 * i]));

		s1 = _mm_sha256rnds2_epu32(s1, s0, m);
		s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
	}
	s0 = _mm_add_epi32(s0, abef);
	s1 = _mm_add_epi32(s1, cdgh);
	tmp = _mm_shuffle_epi32(s0, 0x1B);	/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);	/* DCHG */
	_mm_storeu_si128((__m128i *) &h[0], _mm_blend_epi16(tmp, s1, 0xF0));	/* DCBA */
	_mm_storeu_si128((__m128i *) &h[4], _mm_alignr_epi8(s1, tmp, 8));	/* HGFE */
}

static bool
HaveShaNi(void)
{
	unsigned int a,
				b,
				c,
				d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

bool		cr_sha256_portable_only = false;

static void
Compress(uint32_t h[8], const uint8_t *p)
{
#if defined(__x86_64__) && defined(__GNUC__)
	static int	have_sha_ni = -1;

	if (have_sha_ni < 0)
		have_sha_ni = HaveShaNi();
	if (have_sha_ni && !cr_sha256_portable_only)
	{
		CompressShaNi(h, p);
		return;
	}
#endif
	CompressPortable(h, p);
}

void
cr_sha256_init(CrSha256 *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(s->h, h0, sizeof(h0));
	s->nbytes = 0;
	s->nbuf = 0;
}

void
cr_sha256_update(CrSha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->nbytes += len;
	if (s->nbuf > 0)
	{
		size_t		take = 64 - s->nbuf < len ? 64 - s->nbuf : len;

		memcpy(s->buf + s->nbuf, p, take);
		s->nbuf += take;
		p += take;
		len -= take;
		if (s->nbuf < 64)
			return;
		Compress(s->h, s->buf);
		s->nbuf = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		Compress(s->h, p);
	memcpy(s->buf, p, len);
	s->nbuf = len;
}

void
cr_sha256_final(CrSha256 *s, uint8_t out[CR_SHA256_LEN])
{
	uint64_t	bits = s->nbytes * 8;

	/* a 1 bit, zeros to 56 bytes mod 64, the length in bits, big-endian */
	s->buf[s->nbuf++] = 0x80;
	if (s->nbuf > 56)
	{
		memset(s->buf + s->nbuf, 0, 64 - s->nbuf);
		Compress(s->h, s->buf);
		s->nbuf = 0;
	}
	memset(s->buf + s->nbuf, 0, 56 - s->nbuf);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t) (bits >> (56 - 8 * i));
	Compress(s->h, s->buf);
	for (int i = 0; i < 8; i++)
	{
		out[4 * i] = (uint8_t) (s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t) (s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t) (s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t) s->h[i];
	}
}
