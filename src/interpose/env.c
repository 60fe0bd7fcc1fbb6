/*
 * env.c -- libvmmalloc's configuration, read from the environment before
 * the pool exists: nothing here allocates (getenv, secure_getenv and plain
 * character work only). A bad value is fatal: one line on stderr naming the
 * variable and what it should hold, exit status 1.
 *
 * VMMALLOC_POOL_DIR names a file system place, so it is read with
 * secure_getenv: a set-user-ID program does not take it from its caller.
 */
#include <stdlib.h>
#include <string.h>

#include "interpose/interpose.h"
#include "libvmmalloc.h"

bool
vmm_parse_size(const char *s, size_t *size)
{
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	size_t n = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (__builtin_mul_overflow(n, 10, &n) ||
				__builtin_add_overflow(n, (size_t)(*s - '0'), &n))
			return false;
	}
	unsigned shift = 0;
	switch (*s) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		return false;
	}
	if (*s != '\0' && s[1] != '\0')
		return false;
	if (shift != 0 && n > (SIZE_MAX >> shift))
		return false;
	*size = n << shift;
	return true;
}

/* D:P, two decimal numbers from 1 to 1000000; false if s is not that */
static bool
parse_ratio(const char *s, unsigned *d, unsigned *p)
{
	unsigned v[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++)
			if ((v[i] = v[i] * 10 + (unsigned)(*s - '0')) > 1000000)
				return false;
		if (v[i] == 0 || *s != (i == 0 ? ':' : '\0'))
			return false;
		s++;
	}
	*d = v[0];
	*p = v[1];
	return true;
}

/* the tiers' variables: at most one policy, and a cap that fits it */
static void
read_tiers(struct vmm_config *cfg)
{
	const char *threshold = getenv("VMMALLOC_DRAM_THRESHOLD");
	const char *ratio = getenv("VMMALLOC_DRAM_RATIO");
	const char *max = getenv("VMMALLOC_DRAM_MAX");
	cfg->tiers = VMM_TIERS_NONE;
	if (threshold != NULL && threshold[0] != '\0') {
		if (!vmm_parse_size(threshold, &cfg->dram_threshold) ||
				cfg->dram_threshold == 0)
			vmm_fatal("VMMALLOC_DRAM_THRESHOLD is not a size above 0 "
					"(bytes, or a number with K, M, G or T):",
					threshold);
		if (cfg->dram_threshold > cfg->size)
			vmm_fatal("VMMALLOC_DRAM_THRESHOLD is larger than the "
					"pool (VMMALLOC_POOL_SIZE):", threshold);
		cfg->tiers = VMM_TIERS_THRESHOLD;
	}
	if (ratio != NULL && ratio[0] != '\0') {
		if (cfg->tiers != VMM_TIERS_NONE)
			vmm_fatal("VMMALLOC_DRAM_RATIO and "
					"VMMALLOC_DRAM_THRESHOLD are both set:",
					"set one");
		if (!parse_ratio(ratio, &cfg->dram_part, &cfg->pool_part))
			vmm_fatal("VMMALLOC_DRAM_RATIO is not D:P (two numbers "
					"from 1 to 1000000, DRAM's part first):",
					ratio);
		cfg->tiers = VMM_TIERS_RATIO;
	}
	cfg->dram_max = cfg->size;
	if (max != NULL && max[0] != '\0') {
		if (cfg->tiers == VMM_TIERS_NONE)
			vmm_fatal("VMMALLOC_DRAM_MAX is set without a tier policy",
					"(VMMALLOC_DRAM_THRESHOLD or "
					"VMMALLOC_DRAM_RATIO)");
		if (!vmm_parse_size(max, &cfg->dram_max))
			vmm_fatal("VMMALLOC_DRAM_MAX is not a size "
					"(bytes, or a number with K, M, G or T):",
					max);
		if (cfg->dram_max < VMMALLOC_MIN_POOL)
			vmm_fatal("VMMALLOC_DRAM_MAX is below the minimum of "
					"14 MiB (VMMALLOC_MIN_POOL):", max);
	}
}

void
vmm_config_read(struct vmm_config *cfg)
{
	cfg->dir = secure_getenv("VMMALLOC_POOL_DIR");
	if (cfg->dir == NULL || cfg->dir[0] == '\0')
		vmm_fatal("VMMALLOC_POOL_DIR is not set",
				"(it names the directory for the pool file)");

	const char *size = getenv("VMMALLOC_POOL_SIZE");
	if (size == NULL || size[0] == '\0')
		vmm_fatal("VMMALLOC_POOL_SIZE is not set",
				"(bytes, or a number with K, M, G or T)");
	if (!vmm_parse_size(size, &cfg->size))
		vmm_fatal("VMMALLOC_POOL_SIZE is not a size "
				"(bytes, or a number with K, M, G or T):", size);
	if (cfg->size < VMMALLOC_MIN_POOL)
		vmm_fatal("VMMALLOC_POOL_SIZE is below the minimum of 14 MiB "
				"(VMMALLOC_MIN_POOL):", size);

	const char *fork_mode = getenv("VMMALLOC_FORK");
	cfg->fork_mode = 1;
	if (fork_mode != NULL) {
		if (fork_mode[0] < '0' || fork_mode[0] > '3' ||
				fork_mode[1] != '\0')
			vmm_fatal("VMMALLOC_FORK must be 0, 1, 2 or 3, not",
					fork_mode);
		cfg->fork_mode = fork_mode[0] - '0';
	}

	const char *stats = getenv("VMMALLOC_LOG_STATS");
	cfg->log_stats = VMM_STATS_NONE;
	if (stats != NULL && stats[0] != '\0') {
		if (strcmp(stats, "json") == 0)
			cfg->log_stats = VMM_STATS_JSON;
		else if ((stats[0] != '0' && stats[0] != '1') ||
				stats[1] != '\0')
			vmm_fatal("VMMALLOC_LOG_STATS must be 0, 1 or json, not",
					stats);
		else
			cfg->log_stats = stats[0] == '1' ? VMM_STATS_TEXT :
					VMM_STATS_NONE;
	}

	read_tiers(cfg);

	/* VMMALLOC_LOG_LEVEL (debug build) and VMMALLOC_LOG_FILE */
	const char *log_problem = vm_log_env_problem();
	if (log_problem != NULL)
		vmm_fatal(log_problem, NULL);
}
