/*
 * daxctl.c -- a device DAX's size and alignment as libdaxctl (ndctl's
 * library, Debian libdaxctl1) sees them: the dax region and device
 * objects it builds from sysfs.
 *
 * libdaxctl is loaded with dlopen when a device DAX pool is made, so
 * libvmem needs it neither to build nor to run; without it, or when it
 * does not list the device, devdax.c reads sysfs itself. libdaxctl
 * allocates its objects with the process's malloc; they are all freed
 * (daxctl_unref) before this returns, and none of the pool's metadata
 * ever lives there. libvmmalloc does not use it: its pool is made while
 * the program's malloc is being set up, where loading a library is not
 * safe. Owns nothing across calls.
 */
#include <dlfcn.h>
#include <sys/sysmacros.h>

#include "dax/dax.h"

#if defined(VM_INTERPOSE) && VM_INTERPOSE
int
devdax_geometry_daxctl(const struct stat *st, size_t *size, size_t *align)
{
	(void)st;
	(void)size;
	(void)align;
	return -1;
}
#else
struct daxctl_ctx;
struct daxctl_region;
struct daxctl_dev;

/* the entry points used, looked up by name */
struct daxctl_api {
	int (*new_ctx)(struct daxctl_ctx **);
	void (*unref)(struct daxctl_ctx *);
	struct daxctl_region *(*region_first)(struct daxctl_ctx *);
	struct daxctl_region *(*region_next)(struct daxctl_region *);
	unsigned long (*region_align)(struct daxctl_region *);
	struct daxctl_dev *(*dev_first)(struct daxctl_region *);
	struct daxctl_dev *(*dev_next)(struct daxctl_dev *);
	int (*dev_major)(struct daxctl_dev *);
	int (*dev_minor)(struct daxctl_dev *);
	unsigned long long (*dev_size)(struct daxctl_dev *);
	unsigned long (*dev_align)(struct daxctl_dev *);	/* optional */
};

static bool
load(void *lib, struct daxctl_api *a)
{
#define SYM(field, name) (*(void **)&a->field = dlsym(lib, name))
	SYM(new_ctx, "daxctl_new");
	SYM(unref, "daxctl_unref");
	SYM(region_first, "daxctl_region_get_first");
	SYM(region_next, "daxctl_region_get_next");
	SYM(region_align, "daxctl_region_get_align");
	SYM(dev_first, "daxctl_dev_get_first");
	SYM(dev_next, "daxctl_dev_get_next");
	SYM(dev_major, "daxctl_dev_get_major");
	SYM(dev_minor, "daxctl_dev_get_minor");
	SYM(dev_size, "daxctl_dev_get_size");
	SYM(dev_align, "daxctl_dev_get_align");
#undef SYM
	return a->new_ctx && a->unref && a->region_first && a->region_next &&
			a->region_align && a->dev_first && a->dev_next &&
			a->dev_major && a->dev_minor && a->dev_size;
}

int
devdax_geometry_daxctl(const struct stat *st, size_t *size, size_t *align)
{
	void *lib = dlopen("libdaxctl.so.1", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		return -1;
	struct daxctl_api a;
	struct daxctl_ctx *ctx = NULL;
	int found = -1;
	if (load(lib, &a) && a.new_ctx(&ctx) == 0) {
		for (struct daxctl_region *r = a.region_first(ctx);
				r != NULL && found != 0; r = a.region_next(r)) {
			for (struct daxctl_dev *d = a.dev_first(r); d != NULL;
					d = a.dev_next(d)) {
				if ((unsigned)a.dev_major(d) !=
						major(st->st_rdev) ||
						(unsigned)a.dev_minor(d) !=
						minor(st->st_rdev))
					continue;
				*size = (size_t)a.dev_size(d);
				*align = a.dev_align != NULL ?
						a.dev_align(d) : 0;
				if (*align == 0)
					*align = a.region_align(r);
				found = 0;
				break;
			}
		}
		a.unref(ctx);
	}
	dlclose(lib);
	if (found == 0)
		vm_log(3, "libdaxctl: %u:%u is %zu bytes, alignment %zu",
				major(st->st_rdev), minor(st->st_rdev), *size,
				*align);
	return found;
}
#endif
