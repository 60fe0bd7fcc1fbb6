/*
 * log.c -- error messages, debug log and the output sink (see log.h).
 *
 * Owns: the per-thread error message buffer, the log level and log file
 * descriptor (read from the environment once, in a constructor), and the
 * print function set by vmem_set_funcs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool/log.h"

static VM_TLS char errmsg[VM_ERRMSG_MAX];
int vm_log_level_value;
static char log_path[4096];	/* VMEM_LOG_FILE, PID appended; "" if unset */
static int log_fd = STDERR_FILENO;	/* VMEM_LOG_FILE or stderr */
static pthread_once_t log_opened = PTHREAD_ONCE_INIT;
static _Atomic(void (*)(const char *)) print_func;

static void
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* the path VMEM_LOG_FILE names; a trailing '-' appends the PID */
static void
set_log_path(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof(log_path) - 16)
		return;
	if (name[len - 1] == '-')
		snprintf(log_path, sizeof(log_path), "%s%d", name, (int)getpid());
	else
		snprintf(log_path, sizeof(log_path), "%s", name);
}

/* the file is made at the first line written to it, not before */
static void
open_log(void)
{
	if (log_path[0] == '\0')
		return;
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0)
		log_fd = fd;
}

static int
out_fd(void)
{
	pthread_once(&log_opened, open_log);
	return log_fd;
}

__attribute__((constructor)) static void
log_init(void)
{
	const char *file = secure_getenv("VMEM_LOG_FILE");
	if (file != NULL)
		set_log_path(file);
	if (config_debug) {
		const char *lvl = getenv("VMEM_LOG_LEVEL");
		if (lvl != NULL)
			vm_log_level_value = atoi(lvl);
	}
}

__attribute__((destructor)) static void
log_fini(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
}

void
vm_log_write(int level, const char *file, int line, const char *func,
		const char *fmt, ...)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "<libvmem>: <%d> [%s:%d %s] ",
			level, file, line, func);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	write_all(out_fd(), buf, len);
}

void
vm_err(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	vm_log(1, "%s", errmsg);
	errno = saved;
}

const char *
vm_errmsg(void)
{
	return errmsg;
}

void
vm_set_print(void (*func)(const char *s))
{
	atomic_store(&print_func, func);
}

void
vm_out(const char *s)
{
	void (*func)(const char *) = atomic_load(&print_func);
	if (func != NULL)
		func(s);
	else
		write_all(out_fd(), s, strlen(s));
}

void
vm_outf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vm_out(buf);
}

void
vm_assert_fail(const char *expr, const char *file, int line)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			"libvmem: assertion failed: %s (%s:%d)\n", expr, file, line);
	if (n > 0)
		write_all(STDERR_FILENO, buf,
				(size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	abort();
}
