/*
 * le_bytes.h: the stored forms' integers and doubles, least significant byte first, written
 * and read byte by byte so the bytes are the same on every machine.  Pure C99, shared by
 * gbdt_core.c and logit_core.c; callers check lengths before reading.
 */
#ifndef CUSTOMS_RISK_LE_BYTES_H
#define CUSTOMS_RISK_LE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Append v least significant byte first. */
static inline void
PutU32(unsigned char *b, size_t *off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[(*off)++] = (unsigned char) (v >> (8 * i));
}

/* Append a double's IEEE 754 bits least significant byte first. */
static inline void
PutF64(unsigned char *b, size_t *off, double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	for (int i = 0; i < 8; i++)
		b[(*off)++] = (unsigned char) (u >> (8 * i));
}

/* Read a u32 written by PutU32. */
static inline uint32_t
GetU32(const unsigned char *b, size_t *off)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t) b[(*off)++] << (8 * i);
	return v;
}

/* Read the bits of a double written by PutF64. */
static inline uint64_t
GetBits(const unsigned char *b, size_t *off)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t) b[(*off)++] << (8 * i);
	return v;
}

/* A double from its bits. */
static inline double
BitsToDouble(uint64_t u)
{
	double		v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* Read a double written by PutF64. */
static inline double
GetF64(const unsigned char *b, size_t *off)
{
	return BitsToDouble(GetBits(b, off));
}

#endif							/* CUSTOMS_RISK_LE_BYTES_H */
