/*
 * log.c -- error messages, debug log and the output sink (see log.h).
 *
 * Owns: the per-thread error message buffer, the log level and log file
 * descriptor (read from the environment once, in a constructor), and the
 * print function set by vmem_set_funcs.
 *
 * The same core is built as libvmem and as libvmmalloc (VM_INTERPOSE=1);
 * the names of the variables read and the tag of every line name the
 * library they belong to. All text is formatted by vm_fmt (base/fmt.h):
 * as the malloc of a program, the core must not re-enter malloc through
 * snprintf while it holds one of its locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"
#include "base/fmt.h"
#include "base/log.h"

#if defined(VM_INTERPOSE) && VM_INTERPOSE
#define VM_IN_INTERPOSER	1
#define VM_LIBRARY_NAME		"libvmmalloc"
#define VM_LOG_LEVEL_VAR	"VMMALLOC_LOG_LEVEL"
#define VM_LOG_FILE_VAR		"VMMALLOC_LOG_FILE"
#else
#define VM_IN_INTERPOSER	0
#define VM_LIBRARY_NAME		"libvmem"
#define VM_LOG_LEVEL_VAR	"VMEM_LOG_LEVEL"
#define VM_LOG_FILE_VAR		"VMEM_LOG_FILE"
#endif
/* what every debug log line starts with */
#define VM_LOG_LINE_TAG		"<" VM_LIBRARY_NAME ">: "

static VM_TLS char errmsg[VM_ERRMSG_MAX];
int vm_log_level_value;
static char log_path[4096];	/* VM_LOG_FILE_VAR (+ PID); "" if unset */
static int log_fd = STDERR_FILENO;	/* VM_LOG_FILE_VAR or stderr */
static pthread_once_t log_opened = PTHREAD_ONCE_INIT;
static _Atomic(void (*)(const char *)) print_func;

void
vm_write_all(int fd, const char *s, size_t len)
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

/* the path VM_LOG_FILE_VAR names; a trailing '-' appends the PID */
static void
set_log_path(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof(log_path) - 16)
		return;
	if (name[len - 1] == '-')
		vm_fmt(log_path, sizeof(log_path), "%s%d", name, (int)getpid());
	else
		vm_fmt(log_path, sizeof(log_path), "%s", name);
}

/* what was wrong with the log variables ("" if nothing) */
static char env_problem[VM_ERRMSG_MAX];

/*
 * Where the file is opened: when the library loads (read_env), so a
 * program's open descriptors do not change at its first log line, in
 * every build that documents the variable; release libvmmalloc, whose
 * only output is VMMALLOC_LOG_STATS's, opens it at its first line.
 */
#define LOG_OPEN_AT_LOAD	(config_debug || !VM_IN_INTERPOSER)

/*
 * Opens the log file. One that cannot be opened leaves the output on
 * stderr and says so: in env_problem when the library loads (its owner
 * reports it), on stderr when it is opened later.
 */
static void
open_log(void)
{
	if (log_path[0] == '\0')
		return;
	int fd = VM_SYS("open", EMFILE, -1, open(log_path,
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
	if (fd >= 0) {
		log_fd = fd;
		return;
	}
	char msg[VM_ERRMSG_MAX];
	int n = vm_fmt(msg, sizeof(msg), "cannot open " VM_LOG_FILE_VAR
			" %s: %s", log_path, vm_strerror(errno));
	if (LOG_OPEN_AT_LOAD) {
		if (env_problem[0] == '\0')	/* the first problem is told */
			memcpy(env_problem, msg, sizeof(msg));
	} else if (n > 0) {
		static const char tail[] = " (writing to stderr)\n";
		vm_write_all(STDERR_FILENO, VM_LIBRARY_NAME ": ",
				sizeof(VM_LIBRARY_NAME ": ") - 1);
		vm_write_all(STDERR_FILENO, msg, strlen(msg));
		vm_write_all(STDERR_FILENO, tail, sizeof(tail) - 1);
	}
}

static int
out_fd(void)
{
	pthread_once(&log_opened, open_log);
	return log_fd;
}

/* the level VM_LOG_LEVEL_VAR names: one digit, 0 to 4; -1 otherwise */
static int
parse_level(const char *s)
{
	if (s[0] < '0' || s[0] > '4' || s[1] != '\0')
		return -1;
	return s[0] - '0';
}

static pthread_once_t env_read = PTHREAD_ONCE_INIT;

static void
read_env(void)
{
	const char *file = secure_getenv(VM_LOG_FILE_VAR);
	if (file != NULL)
		set_log_path(file);
	if (config_debug) {
		const char *lvl = getenv(VM_LOG_LEVEL_VAR);
		int level = lvl != NULL && lvl[0] != '\0' ? parse_level(lvl) : 0;
		if (level >= 0)
			vm_log_level_value = level;
		else
			vm_fmt(env_problem, sizeof(env_problem),
					VM_LOG_LEVEL_VAR " must be 0, 1, 2, 3 "
					"or 4, not \"%s\"", lvl);
	}
	if (LOG_OPEN_AT_LOAD)
		pthread_once(&log_opened, open_log);
}

void
vm_log_init(void)
{
	pthread_once(&env_read, read_env);
}

const char *
vm_log_env_problem(void)
{
	vm_log_init();
	return env_problem[0] != '\0' ? env_problem : NULL;
}

__attribute__((constructor)) static void
log_init(void)
{
	vm_log_init();
#if !VM_INTERPOSE
	/* libvmem cannot stop the program: it says what it ignores, once
	 * (libvmmalloc's start-up refuses the variable instead) */
	const char *problem = vm_log_env_problem();
	if (problem != NULL) {
		char line[VM_ERRMSG_MAX + 64];
		int n = vm_fmt(line, sizeof(line), VM_LIBRARY_NAME
				": %s (ignored)\n", problem);
		if (n > 0)
			vm_write_all(STDERR_FILENO, line, (size_t)n <
					sizeof(line) ? (size_t)n :
					sizeof(line) - 1);
	}
#endif
}

void
vm_log_keep_stderr(void)
{
	pthread_once(&log_opened, open_log);
	if (log_fd != STDERR_FILENO)
		return;		/* a log file: nothing to keep */
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 200);
	if (fd >= 0)
		log_fd = fd;
}

#if !VM_INTERPOSE
/* libvmem may be unloaded: its log file goes with it (libvmmalloc's stays
 * open to the end, for the last lines of a program that is exiting) */
__attribute__((destructor)) static void
log_fini(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
}
#endif

void
vm_log_write(int level, const char *file, int line, const char *func,
		const char *fmt, ...)
{
	/* tag and message, cut to leave room for the '\n' (no NUL sent) */
	char buf[1024];
	const size_t max = sizeof(buf) - 2;
	int n = vm_fmt(buf, sizeof(buf), VM_LOG_LINE_TAG "<%d> [%s:%d %s] ",
			level, file, line, func);
	size_t len = n < 0 ? 0 : (size_t)n < max ? (size_t)n : max;
	va_list ap;
	va_start(ap, fmt);
	int m = vm_vfmt(buf + len, sizeof(buf) - 1 - len, fmt, ap);
	va_end(ap);
	if (m > 0)
		len += (size_t)m < max - len ? (size_t)m : max - len;
	buf[len++] = '\n';
	vm_write_all(out_fd(), buf, len);
}

void
vm_err(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vm_vfmt(errmsg, sizeof(errmsg), fmt, ap);
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
		vm_write_all(out_fd(), s, strlen(s));
}

void
vm_outf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vm_vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vm_out(buf);
}

void
vm_assert_fail(const char *expr, const char *file, int line)
{
	char buf[512];
	int n = vm_fmt(buf, sizeof(buf), VM_LIBRARY_NAME
			": assertion failed: %s (%s:%d)\n", expr, file, line);
	if (n > 0)
		vm_write_all(STDERR_FILENO, buf,
				(size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	abort();
}
