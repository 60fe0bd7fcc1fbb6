/*
 * log.h -- error messages, debug log and the output sink of the core.
 *
 * - vm_err() records the calling thread's last error (vmem_errormsg) and,
 *   in debug builds at log level >= 1, writes it to the log.
 * - vm_log() writes a trace line in debug builds when VMEM_LOG_LEVEL is at
 *   least its level; release builds compile it away.
 * - vm_out() is where vmem_stats_print output goes: the print function set
 *   with vmem_set_funcs, else VMEM_LOG_FILE, else stderr.
 * In libvmmalloc (VM_INTERPOSE=1) the variables are VMMALLOC_LOG_LEVEL and
 * VMMALLOC_LOG_FILE, and log lines start "<libvmmalloc>: ", not
 * "<libvmem>: ".
 * Formatting uses vm_fmt (base/fmt.h) and a buffer on the stack; nothing
 * here allocates, not even inside the C library.
 * Thread safety: all functions may be called from any thread.
 * Owns: the calling thread's last error, the log level and file, and
 * the print function (log.c).
 */
#ifndef VM_LOG_H
#define VM_LOG_H

#include <stdarg.h>
#include "internal.h"

#define VM_ERRMSG_MAX 256

void vm_err(const char *fmt, ...) VM_FORMAT(1, 2);
const char *vm_errmsg(void);

extern int vm_log_level_value;
/* the debug log level; always 0 in release builds */
static inline int
vm_log_level(void)
{
	return config_debug ? vm_log_level_value : 0;
}
void vm_log_write(int level, const char *file, int line, const char *func,
		const char *fmt, ...) VM_FORMAT(5, 6);
#define vm_log(level, ...) do { \
	if (config_debug && vm_log_level() >= (level)) \
		vm_log_write(level, __FILE__, __LINE__, __func__, __VA_ARGS__); \
} while (0)

/* reads the log variables of the environment (once; a constructor does it
 * too, but an interposer may need the log before constructors run) */
void vm_log_init(void);
/* what is wrong with the log variables (a level that is not 0-4 in a
 * debug build, a log file that cannot be opened), or NULL; read at load */
const char *vm_log_env_problem(void);
/* output that would go to stderr goes to a copy of it from now on, so a
 * program that closes stderr before it exits still gets its last lines */
void vm_log_keep_stderr(void);
/* all len bytes of s to fd, retried after EINTR; given up on an error */
void vm_write_all(int fd, const char *s, size_t len);
void vm_out(const char *s);
void vm_outf(const char *fmt, ...) VM_FORMAT(1, 2);
void vm_set_print(void (*print_func)(const char *s));

#endif /* VM_LOG_H */
