/*
 * fmt.c -- vm_vfmt, vm_fmt and vm_strerror (see fmt.h).
 *
 * Owns no state but vm_strerror's per-thread buffer for unknown numbers.
 * Calls nothing from the C library but memcpy, memset, strlen, strnlen,
 * strcspn and (glibc >= 2.32) strerrordesc_np, none of which allocates.
 *
 * Output goes through a sink that counts every byte of the full output and
 * stores those that fit before the terminating NUL:
 *   sink.len     == bytes of output produced so far, stored or not
 *   bytes stored == min(sink.len, sink.size - 1), or 0 when sink.size == 0
 * so truncation needs no special case anywhere, and the NUL goes at
 * min(len, size - 1) at the end. Padding is stored with memset and counted
 * in one addition: a huge field width costs no more than the buffer.
 *
 * An integer field is laid out as
 *   [spaces] [sign or 0x] [zeros] digits [spaces]
 * with the leading spaces when right-aligned, the trailing ones with '-';
 * the zeros reach the precision, or (flag '0', no precision, no '-') the
 * field width.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "base/fmt.h"

struct sink {
	char *buf;
	size_t size;	/* of buf, the NUL included */
	size_t len;	/* bytes of output so far, stored or not */
};

/* appends the n bytes at s */
static void
put_mem(struct sink *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/* appends n copies of c */
static void
put_rep(struct sink *o, char c, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;
		memset(o->buf + o->len, c, n < room ? n : room);
	}
	o->len += n;
}

enum fmt_length_e {
	LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T,
	LEN_UNKNOWN	/* L, q: nothing the core prints */
};

/* one directive, as parsed */
struct spec {
	bool left;	/* '-': pad on the right */
	bool zero;	/* '0': pad integers with zeros */
	bool alt;	/* '#': 0x before a nonzero x, 0X before X */
	bool bad_flag;	/* a flag we do not do (' ', '+', '\'', 'I') */
	size_t width;	/* the minimal field width */
	int prec;	/* the precision, -1 if none */
	enum fmt_length_e length;
	char conv;	/* the conversion character, '\0' if fmt ended */
};

/* a width or precision written in digits, saturated at INT_MAX */
static int
parse_num(const char **fp)
{
	const char *f = *fp;
	int n = 0;
	for (; *f >= '0' && *f <= '9'; f++)
		n = n > (INT_MAX - 9) / 10 ? INT_MAX : n * 10 + (*f - '0');
	*fp = f;
	return n;
}

/*
 * Reads the directive after a '%' at f into *sp, and the arguments of any
 * '*' in it; returns where the format goes on.
 */
static const char *
parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1, .length = LEN_NONE };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '#')
			sp->alt = true;
		else if (*f == ' ' || *f == '+' || *f == '\'' || *f == 'I')
			sp->bad_flag = true;
		else
			break;
	}
	if (*f == '*') {
		/* a negative width is the '-' flag and its magnitude */
		int w = va_arg(*ap, int);
		if (w < 0)
			sp->left = true;
		sp->width = w < 0 ? 0u - (unsigned)w : (unsigned)w;
		f++;
	} else {
		sp->width = (size_t)parse_num(&f);
	}
	if (*f == '.') {
		f++;
		if (*f == '*') {
			int p = va_arg(*ap, int);
			sp->prec = p < 0 ? -1 : p;	/* negative: none */
			f++;
		} else {
			sp->prec = parse_num(&f);
		}
	}
	switch (*f) {
	case 'h':
		sp->length = f[1] == 'h' ? LEN_HH : LEN_H;
		f += f[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		sp->length = f[1] == 'l' ? LEN_LL : LEN_L;
		f += f[1] == 'l' ? 2 : 1;
		break;
	case 'z':
		sp->length = LEN_Z;
		f++;
		break;
	case 'j':
		sp->length = LEN_J;
		f++;
		break;
	case 't':
		sp->length = LEN_T;
		f++;
		break;
	case 'L': case 'q':
		sp->length = LEN_UNKNOWN;
		f++;
		break;
	default:
		break;
	}
	sp->conv = *f;
	return *f != '\0' ? f + 1 : f;
}

_Static_assert(sizeof(ptrdiff_t) == sizeof(size_t),
		"%tu/%tx read a ptrdiff_t as the size_t of its width");

static intmax_t
arg_signed(enum fmt_length_e length, va_list *ap)
{
	switch (length) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
		return va_arg(*ap, ssize_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

static uintmax_t
arg_unsigned(enum fmt_length_e length, va_list *ap)
{
	switch (length) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	case LEN_T:
		return (size_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

/* s (n bytes) in its field */
static void
put_field(struct sink *o, const struct spec *sp, const char *s, size_t n)
{
	size_t pad = sp->width > n ? sp->width - n : 0;
	if (!sp->left)
		put_rep(o, ' ', pad);
	put_mem(o, s, n);
	if (sp->left)
		put_rep(o, ' ', pad);
}

/* an integer of magnitude mag in its field (base 10 or 16) */
static void
put_int(struct sink *o, const struct spec *sp, uintmax_t mag, bool neg,
		unsigned base, bool upper)
{
	const char *prefix = neg ? "-" : "";
	if (sp->alt && base == 16 && mag != 0)
		prefix = upper ? "0X" : "0x";
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[sizeof(uintmax_t) * 3];	/* > 20 decimal digits */
	size_t nd = 0;
	if (mag != 0 || sp->prec != 0) {	/* %.0d of 0 has no digits */
		do {
			digits[sizeof(digits) - ++nd] = set[mag % base];
			mag /= base;
		} while (mag != 0);
	}
	size_t npre = strlen(prefix);
	size_t zeros = sp->prec > 0 && (size_t)sp->prec > nd ?
			(size_t)sp->prec - nd : 0;
	size_t body = npre + zeros + nd;
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > body) {
		zeros += sp->width - body;
		body = sp->width;
	}
	size_t pad = sp->width > body ? sp->width - body : 0;
	if (!sp->left)
		put_rep(o, ' ', pad);
	put_mem(o, prefix, npre);
	put_rep(o, '0', zeros);
	put_mem(o, digits + sizeof(digits) - nd, nd);
	if (sp->left)
		put_rep(o, ' ', pad);
}

/* prints one directive; false if we do not do it (nothing printed) */
static bool
convert(struct sink *o, const struct spec *sp, va_list *ap)
{
	if (sp->bad_flag || sp->length == LEN_UNKNOWN)
		return false;
	switch (sp->conv) {
	case 'd': case 'i': {
		intmax_t v = arg_signed(sp->length, ap);
		uintmax_t mag = v < 0 ? 0u - (uintmax_t)v : (uintmax_t)v;
		put_int(o, sp, mag, v < 0, 10, false);
		return true;
	}
	case 'u':
		put_int(o, sp, arg_unsigned(sp->length, ap), false, 10, false);
		return true;
	case 'x': case 'X':
		put_int(o, sp, arg_unsigned(sp->length, ap), false, 16,
				sp->conv == 'X');
		return true;
	default:
		break;
	}
	if (sp->length != LEN_NONE)	/* %ls, %lc, %hp, %l%, ... */
		return false;
	switch (sp->conv) {
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (s == NULL)
			s = "(null)";
		size_t n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) :
				strlen(s);
		put_field(o, sp, s, n);
		return true;
	}
	case 'c': {
		char c = (char)(unsigned char)va_arg(*ap, int);
		put_field(o, sp, &c, 1);
		return true;
	}
	case 'p': {
		const void *p = va_arg(*ap, const void *);
		if (p == NULL) {
			put_field(o, sp, "(nil)", 5);
		} else {
			struct spec hex = *sp;
			hex.alt = true;
			put_int(o, &hex, (uintptr_t)p, false, 16, false);
		}
		return true;
	}
	case '%':
		put_mem(o, "%", 1);
		return true;
	default:	/* '\0' (a '%' ends the format) or a conversion */
		return false;
	}
}

int
vm_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink o = { .buf = buf, .size = size, .len = 0 };
	va_list args;	/* a copy: its address can be passed on */
	va_copy(args, ap);
	const char *f = fmt;
	while (*f != '\0') {
		size_t text = strcspn(f, "%");
		put_mem(&o, f, text);
		f += text;
		if (*f == '\0')
			break;
		struct spec sp;
		f = parse_spec(f + 1, &sp, &args);
		if (!convert(&o, &sp, &args)) {
			/* the arguments' types are lost from here: read none */
			put_mem(&o, "%?", 2);
			put_mem(&o, f, strlen(f));
			break;
		}
	}
	va_end(args);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT_MAX ? -1 : (int)o.len;
}

int
vm_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vm_vfmt(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *
vm_strerror(int errnum)
{
#if defined(__GLIBC__) && \
		(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	/* the C library's own table, untranslated: no locale, no gettext */
	const char *desc = strerrordesc_np(errnum);
	if (desc != NULL)
		return desc;
#endif
	static VM_TLS char unknown[sizeof("error -2147483648")];
	vm_fmt(unknown, sizeof(unknown), "error %d", errnum);
	return unknown;
}
