/*
 * core_common.h: what the pure-C model cores (gbdt_core, logit_core) share: the allocator
 * they take from their caller and how they report an error.  Pure C99, no backend calls.
 */
#ifndef CUSTOMS_RISK_CORE_COMMON_H
#define CUSTOMS_RISK_CORE_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Memory: palloc/repalloc/pfree in the backend, malloc/realloc/free in tests. */
typedef struct CoreAllocator
{
	void	   *(*alloc) (size_t size);
	void	   *(*realloc) (void *ptr, size_t size);
	void		(*free) (void *ptr);
} CoreAllocator;

/* Write a message into err if the caller gave room; returns code so callers can return it. */
#ifdef __GNUC__
static inline int CoreFail(char *err, size_t errlen, int code, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
#endif
static inline int
CoreFail(char *err, size_t errlen, int code, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

#endif							/* CUSTOMS_RISK_CORE_COMMON_H */
