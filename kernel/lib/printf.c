/* kvsnprintf: a small vsnprintf for the kernel, no floating point, no allocation. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/printf.h"

/* Keeps absurd widths from overflowing the int arithmetic; output is bounded by size anyway. */
#define PRINTF_MAX_WIDTH 0x100000

enum printf_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct printf_out {
	char *buf;
	size_t size;
	size_t pos; /* characters the full output has so far, written or not */
};

struct printf_spec {
	bool left, plus, space, alt, zero;
	int width;
	int prec; /* -1 when not given */
};

static void printf_putc(struct printf_out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void printf_pad(struct printf_out *o, char c, int n)
{
	while (n-- > 0)
		printf_putc(o, c);
}

static void printf_puts(struct printf_out *o, const char *s, size_t n)
{
	while (n--)
		printf_putc(o, *s++);
}

/* Emits s[0..n) padded to the field width; used by %c, %s and %p. */
static void printf_field(struct printf_out *o, const struct printf_spec *sp, const char *s,
			 size_t n)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!sp->left)
		printf_pad(o, ' ', pad);
	printf_puts(o, s, n);
	if (sp->left)
		printf_pad(o, ' ', pad);
}

static void printf_num(struct printf_out *o, const struct printf_spec *sp, uint64_t mag, bool neg,
		       bool is_signed, unsigned base, bool upper)
{
	const char *digs = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24]; /* 22 octal digits cover 64 bits */
	int ndig = 0, zeros, len, pad;
	char sign = 0;
	const char *prefix = "";
	int plen = 0;

	/* C says an explicit zero precision prints no digits for the value zero. */
	if (!(mag == 0 && sp->prec == 0)) {
		do {
			tmp[ndig++] = digs[mag % base];
			mag /= base;
		} while (mag);
	}
	if (is_signed)
		sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;

	zeros = sp->prec > ndig ? sp->prec - ndig : 0;
	if (sp->alt && base == 16 && ndig > 0 && !(ndig == 1 && tmp[0] == '0')) {
		prefix = upper ? "0X" : "0x";
		plen = 2;
	}
	/* '#' with %o guarantees a leading 0 digit rather than adding a prefix. */
	if (sp->alt && base == 8 && zeros == 0 && (ndig == 0 || tmp[ndig - 1] != '0'))
		zeros = 1;

	len = (sign ? 1 : 0) + plen + zeros + ndig;
	pad = sp->width > len ? sp->width - len : 0;
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		printf_pad(o, ' ', pad);
	if (sign)
		printf_putc(o, sign);
	printf_puts(o, prefix, (size_t)plen);
	printf_pad(o, '0', zeros);
	while (ndig > 0)
		printf_putc(o, tmp[--ndig]);
	if (sp->left)
		printf_pad(o, ' ', pad);
}

static int64_t printf_arg_signed(va_list *ap, enum printf_len len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t printf_arg_unsigned(va_list *ap, enum printf_len len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
	case LEN_T:
		return va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int printf_parse_int(const char **pf)
{
	int v = 0;

	while (**pf >= '0' && **pf <= '9') {
		if (v < PRINTF_MAX_WIDTH)
			v = v * 10 + (**pf - '0');
		(*pf)++;
	}
	return v < PRINTF_MAX_WIDTH ? v : PRINTF_MAX_WIDTH;
}

static void printf_parse_flags(const char **pf, struct printf_spec *sp)
{
	for (;; (*pf)++) {
		switch (**pf) {
		case '-':
			sp->left = true;
			break;
		case '+':
			sp->plus = true;
			break;
		case ' ':
			sp->space = true;
			break;
		case '#':
			sp->alt = true;
			break;
		case '0':
			sp->zero = true;
			break;
		default:
			return;
		}
	}
}

static enum printf_len printf_parse_len(const char **pf)
{
	const char *f = *pf;
	enum printf_len len = LEN_NONE;

	if (f[0] == 'h')
		len = f[1] == 'h' ? LEN_HH : LEN_H;
	else if (f[0] == 'l')
		len = f[1] == 'l' ? LEN_LL : LEN_L;
	else if (f[0] == 'z')
		len = LEN_Z;
	else if (f[0] == 't')
		len = LEN_T;
	else if (f[0] == 'j')
		len = LEN_J;
	*pf += len == LEN_HH || len == LEN_LL ? 2 : len != LEN_NONE ? 1 : 0;
	return len;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct printf_out o = {buf, size, 0};
	va_list args;

	/* A copy, so the helpers can take a pointer to it on every ABI. */
	va_copy(args, ap);
	while (*fmt) {
		struct printf_spec sp = {.prec = -1};
		const char *start = fmt;
		enum printf_len len;
		char c;

		if (*fmt != '%') {
			printf_putc(&o, *fmt++);
			continue;
		}
		fmt++;
		printf_parse_flags(&fmt, &sp);
		if (*fmt == '*') {
			sp.width = va_arg(args, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width =
				    sp.width < -PRINTF_MAX_WIDTH ? PRINTF_MAX_WIDTH : -sp.width;
			}
			fmt++;
		} else {
			sp.width = printf_parse_int(&fmt);
		}
		if (sp.width > PRINTF_MAX_WIDTH)
			sp.width = PRINTF_MAX_WIDTH;
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				sp.prec = va_arg(args, int);
				if (sp.prec < 0)
					sp.prec = -1; /* a negative '*' precision counts as none */
				fmt++;
			} else {
				sp.prec = printf_parse_int(&fmt);
			}
			if (sp.prec > PRINTF_MAX_WIDTH)
				sp.prec = PRINTF_MAX_WIDTH;
		}
		len = printf_parse_len(&fmt);

		c = *fmt;
		switch (c) {
		case 'd':
		case 'i': {
			int64_t v = printf_arg_signed(&args, len);
			/* 0 - (uint64_t)v is the magnitude even for INT64_MIN. */
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

			printf_num(&o, &sp, mag, v < 0, true, 10, false);
			break;
		}
		case 'u':
			printf_num(&o, &sp, printf_arg_unsigned(&args, len), false, false, 10,
				   false);
			break;
		case 'x':
		case 'X':
			printf_num(&o, &sp, printf_arg_unsigned(&args, len), false, false, 16,
				   c == 'X');
			break;
		case 'o':
			printf_num(&o, &sp, printf_arg_unsigned(&args, len), false, false, 8,
				   false);
			break;
		case 'c': {
			char ch = (char)va_arg(args, int);

			printf_field(&o, &sp, &ch, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			size_t n = 0;

			if (!s)
				s = "(null)";
			/* Never read past the precision: the string need not be terminated. */
			while ((sp.prec < 0 || n < (size_t)sp.prec) && s[n])
				n++;
			printf_field(&o, &sp, s, n);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(args, void *);
			char tmp[18];
			int i;

			tmp[0] = '0';
			tmp[1] = 'x';
			for (i = 0; i < 16; i++)
				tmp[17 - i] = "0123456789abcdef"[(v >> (4 * i)) & 0xf];
			printf_field(&o, &sp, tmp, sizeof(tmp));
			break;
		}
		case '%':
			printf_putc(&o, '%');
			break;
		default:
			/* Unknown (or missing, at the end of fmt) conversion: copy the spec as is.
			 */
			printf_puts(&o, start, (size_t)(fmt - start));
			if (c)
				printf_putc(&o, c);
			else
				continue;
			break;
		}
		fmt++;
	}
	va_end(args);

	if (size > 0)
		buf[o.pos < size ? o.pos : size - 1] = '\0';
	return o.pos > 0x7fffffff ? 0x7fffffff : (int)o.pos;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
