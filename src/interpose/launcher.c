/*
 * launcher.c -- vmmalloc(1): runs a program with its malloc family served
 * from a libvmmalloc pool, the way numactl or jemalloc.sh run one.
 *
 *   vmmalloc [--dir D] [--size S] [--fork N] [--stats] [--debug]
 *            [--dram-threshold S | --dram-ratio D:P] [--dram-max S]
 *            [--valgrind[=TOOL]] [--] PROGRAM [ARGS...]
 *
 * The launcher is an ordinary program that runs before any interposer, so
 * it uses the C library freely. It checks its options, chooses the pool
 * directory and size, exports them as the variables libvmmalloc(7) reads
 * (VMMALLOC_POOL_DIR, VMMALLOC_POOL_SIZE, and VMMALLOC_FORK,
 * VMMALLOC_LOG_STATS and the VMMALLOC_DRAM_* of a DRAM tier when asked), puts the library first in LD_PRELOAD and
 * replaces itself with PROGRAM (execvp). Variables it is not asked to set
 * are inherited unchanged. With --valgrind it replaces itself with
 * valgrind running PROGRAM instead, told to leave the malloc family of
 * every library but the C library's alone, so that libvmmalloc's stays
 * in place (libvmmalloc(7), "Valgrind"); valgrind's own options come
 * from $VALGRIND_OPTS as usual.
 *
 * Exit status when PROGRAM is not reached:
 *   2    the command line is wrong (unknown option, bad size, no PROGRAM)
 *   1    the command line is fine but the system does not fit it (no such
 *        directory, no room for a pool, no library file)
 *   126  PROGRAM was found but cannot be executed
 *   127  PROGRAM was not found
 * Every error is one line on stderr, starting "vmmalloc: ".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "libvmmalloc.h"

#ifndef VMMALLOC_LIB
#error "build with -DVMMALLOC_LIB='\"/abs/path/libvmmalloc.so.1\"'"
#endif
/* the directory beside the library that holds its debug build: debug/ in
 * the build tree, vmem_debug/ once installed */
#ifndef VMMALLOC_DEBUG_DIR
#define VMMALLOC_DEBUG_DIR "debug"
#endif

#define MIB		((uint64_t)1 << 20)
#define EXIT_USAGE	2
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127

/* what the command line asked for */
typedef struct options_s {
	const char *dir;	/* NULL: $TMPDIR, else /tmp */
	uint64_t size;		/* 0: chosen from free memory and space */
	const char *fork;	/* "0".."3"; NULL: VMMALLOC_FORK left alone */
	const char *stats;	/* VMMALLOC_LOG_STATS: "1" or "json" */
	bool debug;		/* preload the debug build */
	const char *valgrind;	/* the valgrind tool to run PROGRAM under */
	const char *dram_threshold;	/* VMMALLOC_DRAM_THRESHOLD */
	const char *dram_ratio;	/* VMMALLOC_DRAM_RATIO */
	const char *dram_max;	/* VMMALLOC_DRAM_MAX */
	char **program;		/* PROGRAM and its ARGS, NULL-terminated */
} options_t;

typedef enum option_e {
	OPT_DIR, OPT_SIZE, OPT_FORK, OPT_STATS, OPT_DEBUG, OPT_VALGRIND,
	OPT_DRAM_THRESHOLD, OPT_DRAM_RATIO, OPT_DRAM_MAX,
	OPT_HELP, OPT_VERSION, OPT_COUNT
} option_e;

static const struct {
	const char *name;
	bool has_value;		/* --name VALUE or --name=VALUE */
	bool may_have_value;	/* --name, or --name=VALUE */
} option_table[OPT_COUNT] = {
	[OPT_DIR] = { "--dir", true },
	[OPT_SIZE] = { "--size", true },
	[OPT_FORK] = { "--fork", true },
	[OPT_STATS] = { "--stats", false, true },
	[OPT_DEBUG] = { "--debug", false },
	[OPT_VALGRIND] = { "--valgrind", false, true },
	[OPT_DRAM_THRESHOLD] = { "--dram-threshold", true, false },
	[OPT_DRAM_RATIO] = { "--dram-ratio", true, false },
	[OPT_DRAM_MAX] = { "--dram-max", true, false },
	[OPT_HELP] = { "--help", false },
	[OPT_VERSION] = { "--version", false },
};

/* prints "vmmalloc: <message>" as one line on stderr and exits */
static _Noreturn __attribute__((format(printf, 2, 3))) void
die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vmmalloc: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* a new string, printf-style; exits when out of memory */
static __attribute__((format(printf, 1, 2))) char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EXIT_FAILURE, "out of memory");
	return s;
}

static void
print_usage(void)
{
	printf("Usage: vmmalloc [OPTIONS] [--] PROGRAM [ARGS...]\n"
		"       vmmalloc --help | --version\n"
		"Runs PROGRAM with its malloc family served from one pool in a\n"
		"memory-mapped file (libvmmalloc(7), preloaded).\n"
		"\n"
		"  --dir DIR    directory of the pool file (default: $TMPDIR,"
		" else /tmp)\n"
		"  --size SIZE  pool size: bytes, or a number with K, M, G or T"
		" (powers\n"
		"               of 1024), at least %" PRIu64 " MiB (default: a"
		" quarter of\n"
		"               the available memory, at most half the free"
		" space in DIR)\n"
		"  --fork N     VMMALLOC_FORK: 0 no fork support, 1 copy-on-write"
		" (the\n"
		"               library's default), 2 copy the pool, 3 try 2,"
		" else 1\n"
		"               (2 and 3 copy before fork(): a child may miss"
		" what other\n"
		"               threads wrote meanwhile; 1 is an exact copy)\n"
		"  --stats[=json]  print pool statistics when PROGRAM ends"
		" (json: as one\n"
		"               JSON document)\n"
		"  --debug      preload the debug build (" VMMALLOC_DEBUG_DIR
		"/ beside the library)\n"
		"  --dram-threshold SIZE  a DRAM tier: objects below SIZE in"
		" anonymous memory\n"
		"               (DRAM), the rest in the pool\n"
		"  --dram-ratio D:P  a DRAM tier whose threshold moves to keep"
		" D:P of\n"
		"               the bytes in use in DRAM and in the pool\n"
		"  --dram-max SIZE  the DRAM tier's size (default: the pool's);"
		" when\n"
		"               it is full, objects go to the pool\n"
		"  --valgrind[=TOOL]  run PROGRAM under valgrind's TOOL"
		" (memcheck, the\n"
		"               default, helgrind or drd) with its heap in the"
		" pool;\n"
		"               valgrind's options come from $VALGRIND_OPTS\n"
		"Options also take the form --opt=VALUE; '--' may be left out when\n"
		"PROGRAM does not start with '-'.\n"
		"\n"
		"Environment:\n"
		"  VMMALLOC_LIB  the library to preload (default:\n"
		"                %s)\n"
		"  LD_PRELOAD    kept, after the library\n"
		"\n"
		"Exit status: PROGRAM's; 2 bad command line; 1 no usable"
		" directory or\n"
		"library; 126 PROGRAM not executable; 127 PROGRAM not found.\n",
		(uint64_t)VMMALLOC_MIN_POOL / MIB, VMMALLOC_LIB);
}

/*
 * Parses a pool size: decimal digits, then optionally K, M, G or T (powers
 * of 1024, any case), then optionally B, or iB after a unit ("15728640",
 * "64M", "64MiB", "1gb"). Returns 0, EINVAL when s is not a size, or
 * ERANGE when it does not fit in 64 bits.
 */
static int
parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *p = s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (__builtin_mul_overflow(n, 10, &n) ||
				__builtin_add_overflow(n, (uint64_t)(*p - '0'), &n))
			return ERANGE;
	}
	const char *unit = *p != '\0' ? strchr(units, toupper((unsigned char)*p)) : NULL;
	unsigned shift = 0;
	if (unit != NULL) {
		shift = 10 * (unsigned)(unit - units + 1);
		p++;
	}
	if (*p != '\0' && strcasecmp(p, "B") != 0 &&
			!(unit != NULL && strcasecmp(p, "iB") == 0))
		return EINVAL;
	if (n > UINT64_MAX >> shift)
		return ERANGE;
	*out = n << shift;
	return 0;
}

/* the size argument s of option name, checked, at least min bytes (a
 * pool's minimum: so said); exits with EXIT_USAGE when it is wrong */
static uint64_t
size_arg(const char *name, const char *s, uint64_t min)
{
	uint64_t size;
	int err = parse_size(s, &size);
	if (err == EINVAL)
		die(EXIT_USAGE, "%s '%s': not a size (try 1073741824, 64M"
				" or 2G)", name, s);
	if (err == ERANGE)
		die(EXIT_USAGE, "%s '%s': too large", name, s);
	if (size < min && min == VMMALLOC_MIN_POOL)
		die(EXIT_USAGE, "%s '%s': a pool needs at least %zu bytes"
				" (%zu MiB)", name, s, VMMALLOC_MIN_POOL,
				VMMALLOC_MIN_POOL >> 20);
	if (size < min)
		die(EXIT_USAGE, "%s '%s': must be at least %" PRIu64, name, s,
				min);
	return size;
}

/* the --size argument, checked; exits with EXIT_USAGE when it is wrong */
static uint64_t
size_option(const char *s)
{
	return size_arg("--size", s, VMMALLOC_MIN_POOL);
}

/* the --fork argument, checked; exits with EXIT_USAGE when it is wrong */
static const char *
fork_option(const char *s)
{
	if (s[0] < '0' || s[0] > '3' || s[1] != '\0')
		die(EXIT_USAGE, "--fork '%s': must be 0, 1, 2 or 3", s);
	return s;
}

/* the table entry arg names (with or without "=VALUE"), or OPT_COUNT */
static option_e
find_option(const char *arg)
{
	size_t len = strcspn(arg, "=");
	for (int o = 0; o < OPT_COUNT; o++) {
		if (strlen(option_table[o].name) == len &&
				strncmp(arg, option_table[o].name, len) == 0)
			return (option_e)o;
	}
	return OPT_COUNT;
}

/* the --dram-ratio D:P, checked (two numbers from 1 to 1000000); exits
 * with EXIT_USAGE when it is wrong */
static const char *
ratio_option(const char *s)
{
	char *end;
	errno = 0;
	unsigned long d = strtoul(s, &end, 10);
	bool ok = isdigit((unsigned char)s[0]) && *end == ':' &&
			isdigit((unsigned char)end[1]);
	unsigned long p = ok ? strtoul(end + 1, &end, 10) : 0;
	if (!ok || *end != '\0' || errno != 0 || d == 0 || p == 0 ||
			d > 1000000 || p > 1000000)
		die(EXIT_USAGE, "--dram-ratio '%s': not D:P (two numbers from 1"
				" to 1000000, DRAM's part first, as 1:4)", s);
	return s;
}

/* the --valgrind tool (NULL value: memcheck), checked; exits with
 * EXIT_USAGE when it is not a tool's name */
static const char *
valgrind_option(const char *s)
{
	if (s == NULL)
		return "memcheck";
	if (s[0] == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyz-") !=
			strlen(s))
		die(EXIT_USAGE, "--valgrind '%s': not a valgrind tool (try"
				" memcheck, helgrind or drd)", s);
	return s;
}

/* fills opt from argv; exits on --help, --version and usage errors */
static void
parse_options(int argc, char **argv, options_t *opt)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *arg = argv[i++];
		if (strcmp(arg, "--") == 0)
			break;
		option_e o = find_option(arg);
		if (o == OPT_COUNT)
			die(EXIT_USAGE, "unknown option '%s' (see vmmalloc"
					" --help)", arg);
		const char *value = strchr(arg, '=');
		if (value != NULL)
			value++;
		if (option_table[o].has_value && value == NULL) {
			if (i >= argc)
				die(EXIT_USAGE, "%s needs a value", arg);
			value = argv[i++];
		} else if (!option_table[o].has_value && value != NULL &&
				!option_table[o].may_have_value) {
			die(EXIT_USAGE, "%s takes no value",
					option_table[o].name);
		}
		switch (o) {
		case OPT_DIR:
			opt->dir = value;
			break;
		case OPT_SIZE:
			opt->size = size_option(value);
			break;
		case OPT_FORK:
			opt->fork = fork_option(value);
			break;
		case OPT_STATS:
			if (value == NULL || strcmp(value, "text") == 0)
				opt->stats = "1";
			else if (strcmp(value, "json") == 0)
				opt->stats = "json";
			else
				die(EXIT_USAGE, "--stats='%s': text or json",
						value);
			break;
		case OPT_DEBUG:
			opt->debug = true;
			break;
		case OPT_VALGRIND:
			opt->valgrind = valgrind_option(value);
			break;
		case OPT_DRAM_THRESHOLD:
			opt->dram_threshold = xasprintf("%" PRIu64, size_arg(
					"--dram-threshold", value, 1));
			break;
		case OPT_DRAM_RATIO:
			opt->dram_ratio = ratio_option(value);
			break;
		case OPT_DRAM_MAX:
			opt->dram_max = xasprintf("%" PRIu64, size_arg(
					"--dram-max", value, VMMALLOC_MIN_POOL));
			break;
		case OPT_HELP:
			print_usage();
			exit(EXIT_SUCCESS);
		case OPT_VERSION:
			printf("vmmalloc %d.%d\n", VMMALLOC_MAJOR_VERSION,
					VMMALLOC_MINOR_VERSION);
			exit(EXIT_SUCCESS);
		case OPT_COUNT:
			break;
		}
	}
	if (opt->dram_threshold != NULL && opt->dram_ratio != NULL)
		die(EXIT_USAGE, "--dram-threshold and --dram-ratio: give one");
	if (opt->dram_max != NULL && opt->dram_threshold == NULL &&
			opt->dram_ratio == NULL)
		die(EXIT_USAGE, "--dram-max needs --dram-threshold or"
				" --dram-ratio");
	if (i >= argc)
		die(EXIT_USAGE, "no program to run (see vmmalloc --help)");
	opt->program = &argv[i];
}

/*
 * The pool directory as an absolute path (the program's children may
 * chdir before their own pool is created); from names where the path came
 * from, for messages. Exits unless it is a directory we may create in.
 */
static char *
pool_directory(const char *dir, const char *from)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		die(EXIT_FAILURE, "%s '%s': %s", from, dir, strerror(errno));
	/* a character device may be a device DAX: the library decides */
	if (!S_ISDIR(st.st_mode) && !S_ISCHR(st.st_mode))
		die(EXIT_FAILURE, "%s '%s': not a directory", from, dir);
	if (access(dir, S_ISDIR(st.st_mode) ? W_OK | X_OK : R_OK | W_OK) != 0)
		die(EXIT_FAILURE, "%s '%s': cannot create the pool file there:"
				" %s", from, dir, strerror(errno));
	char *abs = realpath(dir, NULL);
	if (abs == NULL)
		die(EXIT_FAILURE, "%s '%s': %s", from, dir, strerror(errno));
	return abs;
}

/* --dir, else $TMPDIR when set and not empty, else /tmp; checked */
static char *
choose_directory(const options_t *opt)
{
	if (opt->dir != NULL)
		return pool_directory(opt->dir, "--dir");
	const char *tmpdir = getenv("TMPDIR");
	if (tmpdir != NULL && tmpdir[0] != '\0')
		return pool_directory(tmpdir, "TMPDIR");
	return pool_directory("/tmp", "pool directory");
}

/* bytes of memory the system can still give without swapping; 0 unknown */
static uint64_t
available_memory(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (f != NULL) {
		char line[256];
		unsigned long long kib;
		bool found = false;
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
		fclose(f);
		if (found)
			return (uint64_t)kib * 1024;
	}
	/* no MemAvailable (kernels before 3.14): the free memory */
	long pages = sysconf(_SC_AVPHYS_PAGES);
	long page = sysconf(_SC_PAGESIZE);
	return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

/* bytes an unprivileged user may still write in dir */
static uint64_t
free_space(const char *dir)
{
	struct statvfs st;
	if (statvfs(dir, &st) != 0)
		die(EXIT_FAILURE, "cannot read the free space of '%s': %s", dir,
				strerror(errno));
	uint64_t bytes;
	if (__builtin_mul_overflow((uint64_t)st.f_bavail,
			(uint64_t)st.f_frsize, &bytes))
		return UINT64_MAX;
	return bytes;
}

/*
 * The size when --size is not given: a quarter of the available memory,
 * at most half the free space in dir, in whole MiB, and never below
 * VMMALLOC_MIN_POOL. Exits when dir cannot hold even that.
 */
static uint64_t
default_size(const char *dir)
{
	uint64_t space = free_space(dir);
	if (space < VMMALLOC_MIN_POOL)
		die(EXIT_FAILURE, "'%s' has %" PRIu64 " KiB free, less than"
				" the smallest pool (%zu MiB); use --dir", dir,
				space >> 10, VMMALLOC_MIN_POOL >> 20);
	uint64_t size = available_memory() / 4;
	if (size > space / 2)
		size = space / 2;
	size -= size % MIB;
	return size < VMMALLOC_MIN_POOL ? VMMALLOC_MIN_POOL : size;
}

/* path made absolute against the current directory; a new string */
static char *
absolute_path(const char *path)
{
	if (path[0] == '/')
		return xasprintf("%s", path);
	char *cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		die(EXIT_FAILURE, "cannot get the current directory: %s",
				strerror(errno));
	char *abs = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
}

/*
 * The library to preload: $VMMALLOC_LIB if set and not empty, else the
 * one this launcher was built for; with debug, the file of the same name
 * in debug/ beside it. Made absolute, so that the program's children find
 * it after a chdir. Exits when the file is missing or LD_PRELOAD could not
 * carry its name.
 */
static char *
library_path(bool debug)
{
	const char *lib = getenv("VMMALLOC_LIB");
	if (lib == NULL || lib[0] == '\0')
		lib = VMMALLOC_LIB;
	char *path;
	if (debug) {
		const char *slash = strrchr(lib, '/');
		char *variant = slash == NULL ?
			xasprintf(VMMALLOC_DEBUG_DIR "/%s", lib) :
			xasprintf("%.*s/" VMMALLOC_DEBUG_DIR "%s",
				(int)(slash - lib), lib, slash);
		path = absolute_path(variant);
		free(variant);
	} else {
		path = absolute_path(lib);
	}

	const char *what = debug ? "debug library" : "library";
	struct stat st;
	if (stat(path, &st) != 0)
		die(EXIT_FAILURE, "%s %s: %s (build it, or set VMMALLOC_LIB)",
				what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(EXIT_FAILURE, "%s %s: not a regular file", what, path);
	/* the loader splits LD_PRELOAD at colons and spaces */
	if (strpbrk(path, ": \t") != NULL)
		die(EXIT_FAILURE, "%s %s: LD_PRELOAD cannot carry a path with"
				" ':' or blanks", what, path);
	return path;
}

/* lib, followed by the LD_PRELOAD already set, if any */
static char *
preload_list(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	if (old == NULL || old[0] == '\0')
		return xasprintf("%s", lib);
	return xasprintf("%s:%s", lib, old);
}

static void
set_variable(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		die(EXIT_FAILURE, "cannot set %s: %s", name, strerror(errno));
}

/* replaces the launcher with the program; returns only to exit, as a
 * shell would: 127 when it was not found, 126 when it cannot be run */
static _Noreturn void
run(char **program)
{
	execvp(program[0], program);
	int err = errno;
	if (err == ENOENT && strchr(program[0], '/') == NULL)
		die(EXIT_NOTFOUND, "%s: command not found", program[0]);
	die(err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC, "cannot run %s: %s",
			program[0], strerror(err));
}

/*
 * valgrind's command line for tool and program: valgrind replaces the
 * malloc family wherever it finds one unless told that only the C
 * library's is to be replaced (somalloc=nouserintercepts); then the
 * preloaded libvmmalloc's stays the program's, and the pool tells the
 * tool about its objects and locks itself.
 */
static char **
valgrind_command(const char *tool, char **program)
{
	size_t n = 0;
	while (program[n] != NULL)
		n++;
	char **argv = calloc(n + 4, sizeof(*argv));
	if (argv == NULL)
		die(EXIT_FAILURE, "out of memory");
	argv[0] = "valgrind";
	argv[1] = xasprintf("--tool=%s", tool);
	argv[2] = "--soname-synonyms=somalloc=nouserintercepts";
	memcpy(&argv[3], program, (n + 1) * sizeof(*argv));
	return argv;
}

int
main(int argc, char **argv)
{
	options_t opt = { 0 };
	parse_options(argc, argv, &opt);

	char *dir = choose_directory(&opt);
	uint64_t size = opt.size != 0 ? opt.size : default_size(dir);
	char *lib = library_path(opt.debug);

	set_variable("VMMALLOC_POOL_DIR", dir);
	set_variable("VMMALLOC_POOL_SIZE", xasprintf("%" PRIu64, size));
	if (opt.fork != NULL)
		set_variable("VMMALLOC_FORK", opt.fork);
	if (opt.stats != NULL)
		set_variable("VMMALLOC_LOG_STATS", opt.stats);
	if (opt.dram_threshold != NULL)
		set_variable("VMMALLOC_DRAM_THRESHOLD", opt.dram_threshold);
	if (opt.dram_ratio != NULL)
		set_variable("VMMALLOC_DRAM_RATIO", opt.dram_ratio);
	if (opt.dram_max != NULL)
		set_variable("VMMALLOC_DRAM_MAX", opt.dram_max);
	set_variable("LD_PRELOAD", preload_list(lib));
	if (opt.valgrind != NULL)
		run(valgrind_command(opt.valgrind, opt.program));
	run(opt.program);
}
