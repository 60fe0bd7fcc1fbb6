/*
 * fmt.h -- text formatting that never calls the C library's allocating
 * functions: the core's own snprintf and strerror.
 *
 * Once the core is the malloc of a whole program (libvmmalloc), a message
 * formatted while one of its locks is held must not re-enter malloc, and
 * glibc's snprintf may allocate for some conversions, its strerror may go
 * through gettext once a locale is set. Everything the core formats goes
 * through these functions instead.
 *
 * vm_vfmt/vm_fmt have the return value and truncation of snprintf: the
 * output always ends in a NUL when size > 0, and the result is the length
 * the whole output would have had (-1 if that exceeds INT_MAX). They take
 * a subset of the printf directives, what the core uses:
 *   flags '-' '0' '#' (the last for x and X), field width and precision
 *   (digits or '*'), length modifiers hh h l ll z j t, conversions
 *   d i u x X (integers), s (NULL prints "(null)"), c, p (NULL prints
 *   "(nil)", as glibc does) and %%.
 * Anything else (%f, %o, %n, %ls, flags '+' or ' ', a lone '%' at the end,
 * ...) prints "%?" and then the rest of the format as it stands: after an
 * unknown directive the types of the remaining arguments are unknown, so
 * no further argument is read.
 *
 * Thread safety: all functions may be called from any thread; none keeps
 * state except vm_strerror's per-thread buffer.
 * Owns: only vm_strerror's per-thread buffer (fmt.c).
 */
#ifndef VM_FMT_H
#define VM_FMT_H

#include <stdarg.h>
#include <stddef.h>

#include "internal.h"

int vm_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
		VM_FORMAT(3, 0);
int vm_fmt(char *buf, size_t size, const char *fmt, ...) VM_FORMAT(3, 4);

/*
 * The English description of errnum, whatever the locale, without
 * allocating. An unknown number gives "error N", in a buffer of the
 * calling thread that the next such call overwrites.
 */
const char *vm_strerror(int errnum);

#endif /* VM_FMT_H */
