/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preflight checks of swap: off now (the kubelet refuses to start with swap on), and
 * nothing that turns it on at the next boot: fstab lines, swap units, and the swap
 * partition systemd-gpt-auto-generator activates by its GPT type.
 *
 * What the fix does and does not do: stopping each active swap's unit through systemd
 * (or "swapoff -a" where the caller cannot) turns swap off now. For the next boot
 * it masks swap.target, which every one of those sources hangs off (fstab and gpt-auto
 * units are wanted by it, as are units installed WantedBy=swap.target), and each stable
 * unit name on its own. The fstab lines stay where they are. The gpt-auto unit is named
 * after a /dev/disk/by-diskseq path that changes every boot, so masking it by name would
 * only last until the next one: swap.target, or systemd.swap=0 on the kernel command
 * line, is what keeps it off. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight-internal.h"
#include "strv.h"

/* swapoff has to page everything back in; killing it half way leaves swap on. */
#define SWAPOFF_TIMEOUT (300 * USEC_PER_SEC)
/* How long the check waits for systemd's stop jobs to take swap off, looking at
 * /proc/swaps this often. The waiting is a timer on the loop; a slower swapoff goes on in
 * PID 1, and the phase's retry finds swap off then. */
#define SWAP_STOP_WAIT (10 * USEC_PER_SEC)
#define SWAP_STOP_POLL (50 * USEC_PER_MSEC)

/* The Filename column of /proc/swaps after its header line: "NAME (SIZE)" entries in
 * *ret_list, and the bare names in *ret_paths (may be NULL). */
static int read_swaps_full(const PreflightContext *ctx, char ***ret_list, char ***ret_paths) {
	_cleanup_free_ char *data = NULL;
	_cleanup_strv_free_ char **list = NULL, **paths = NULL;
	int r;

	r = preflight_read(ctx, "/proc/swaps", &data);
	if (r < 0)
		return r;
	/* The first line is the header: "Filename Type Size Used Priority". */
	for (char *line = strchr(data, '\n'), *next; line; line = next) {
		char name[PATH_MAX], entry[PATH_MAX + 64], size[PREFLIGHT_SIZE_MAX];
		uint64_t kib = 0;

		line++;
		next = strchr(line, '\n');
		if (next)
			*next = '\0';
		if (sscanf(line, "%4095s %*s %" SCNu64, name, &kib) < 1)
			continue;
		(void) snprintf(entry, sizeof entry, "%s (%s)", name, preflight_format_size(kib * 1024, size));
		if ((r = strv_extend(&list, entry)) < 0 || (ret_paths && (r = strv_extend(&paths, name)) < 0))
			return r;
	}
	*ret_list = TAKE_PTR(list);
	if (ret_paths)
		*ret_paths = TAKE_PTR(paths);
	return 0;
}

static int read_swaps(const PreflightContext *ctx, char ***ret_list) {
	return read_swaps_full(ctx, ret_list, NULL);
}

/* Queue a stop of the unit systemd keeps for each active swap (it makes one from
 * /proc/swaps even for swap turned on by hand). 0, or the first error of a stop;
 * *ret_units: what was stopped, comma separated. */
static int stop_swap_units(const PreflightContext *ctx, char *const *paths, char **ret_units) {
	_cleanup_free_ char *units = NULL;
	int r = 0;

	STRV_FOREACH(p, paths) {
		_cleanup_free_ char *unit = NULL;
		int k = unit_name_from_path(*p, ".swap", &unit);
		if (k >= 0)
			k = ctx->stop_unit(unit, ctx->userdata);
		if (k >= 0 && strextend_list(&units, unit) < 0)
			return -ENOMEM;
		if (k < 0 && r == 0)
			r = k;
	}
	*ret_units = TAKE_PTR(units);
	return r;
}

/* The check's progress between its turns. */
typedef struct SwapProgress {
	char *list;                 /* what was on, for the messages */
	char *units;                /* stop jobs: the units stopped */
	usec_t deadline;            /* stop jobs: until when /proc/swaps is looked at */
	const char *argv[3];        /* swapoff -a */
} SwapProgress;

static void swap_progress_free(void *p) {
	SwapProgress *s = p;

	if (!s)
		return;
	free(s->list);
	free(s->units);
	free(s);
}

static const char swap_hint[] = "run 'swapoff -a': the kubelet does not start with swap on (failSwapOn); "
				"swap-sources says what turns it on at boot";

/* After the stop jobs: done once /proc/swaps is empty, else look again shortly, until the
 * deadline. */
static int swap_stop_wait(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s,
			  PreflightReports *out) {
	SwapProgress *p = s->state;
	_cleanup_strv_free_ char **still = NULL;
	int r;

	r = read_swaps(ctx, &still);
	if (r == -ENOMEM)
		return r;
	if (r >= 0 && !still)
		return report_add(out, c->name, PREFLIGHT_FIXED, NULL, "swap was on (%s): stopped %s through systemd",
				  p->list, p->units);
	if (r < 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint,
				  "swap is on: %s; stopping %s through systemd: cannot read /proc/swaps: %s", p->list,
				  p->units, strerror(-r));
	if (now(CLOCK_MONOTONIC) >= p->deadline)
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint,
				  "swap is on: %s; stopping %s through systemd: still on after %llu s", p->list, p->units,
				  (unsigned long long) (SWAP_STOP_WAIT / USEC_PER_SEC));
	return preflight_wait_time(s, SWAP_STOP_POLL);
}

/* After swapoff -a. */
static int swapoff_done(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s, PreflightReports *out) {
	SwapProgress *p = s->state;
	_cleanup_strv_free_ char **still = NULL;
	int k = s->result, r;

	r = read_swaps(ctx, &still);
	if (r == -ENOMEM)
		return r;
	if (r >= 0 && !still)
		return report_add(out, c->name, PREFLIGHT_FIXED, NULL, "swap was on (%s): turned it off with swapoff -a",
				  p->list);
	if (k == -ETIMEDOUT)
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint,
				  "swap is on: %s; swapoff -a was still running after %llu s, killed", p->list,
				  (unsigned long long) (SWAPOFF_TIMEOUT / USEC_PER_SEC));
	if (k != 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint, "swap is on: %s; swapoff -a failed: %s", p->list,
				  k > 0 ? "it exited non-zero" : strerror(-k));
	return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint, "swap is on: %s", p->list);
}

/* The first turn reads /proc/swaps and, with a fix allowed, queues the stop jobs (or
 * starts swapoff -a); the next turns wait for swap to be off (swap_stop_wait(),
 * swapoff_done()). */
int check_swap(const PreflightCheck *c, const PreflightContext *ctx, PreflightStep *s, PreflightReports *out) {
	_cleanup_strv_free_ char **on = NULL, **paths = NULL;
	_cleanup_free_ char *list = NULL;
	SwapProgress *p = s->state;
	int r;

	if (p)
		return p->argv[0] ? swapoff_done(c, ctx, s, out) : swap_stop_wait(c, ctx, s, out);

	r = read_swaps_full(ctx, &on, &paths);
	if (r == -ENOENT)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "swap is off (the kernel has no swap support)");
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint, "cannot read /proc/swaps: %s", strerror(-r));
	if (!on)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "swap is off");
	if ((r = preflight_join(on, ", ", &list)) < 0)
		return r;

	bool stop = ctx->fix && ctx->stop_unit;
	if (!stop && !preflight_can_fix_host(ctx))
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint, "swap is on: %s", list);

	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	s->state = p;
	s->free_state = swap_progress_free;
	p->list = TAKE_PTR(list);
	if (!stop) {
		p->argv[0] = "swapoff";
		p->argv[1] = "-a";
		return preflight_wait_command(s, "swapoff", p->argv, SWAPOFF_TIMEOUT);
	}
	r = stop_swap_units(ctx, paths, &p->units);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, swap_hint, "swap is on: %s; stopping %s through systemd: %s",
				  p->list, p->units ?: "its units", strerror(-r));
	p->deadline = usec_add(now(CLOCK_MONOTONIC), SWAP_STOP_WAIT);
	return swap_stop_wait(c, ctx, s, out);
}

int unit_name_from_path(const char *path, const char *suffix, char **ret) {
	size_t n = strlen(path);
	char *s, *p;

	/* Every byte may become "\xNN", and "-" stands for the root directory. */
	s = p = malloc(n * 4 + strlen(suffix) + 2);
	if (!s)
		return -ENOMEM;
	for (const char *q = path; *q;) {
		if (*q == '/') {
			q += strspn(q, "/");
			if (*q && p > s)
				*p++ = '-';
			continue;
		}
		if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		    *q == ':' || *q == '_' || (*q == '.' && p > s))
			*p++ = *q;
		else
			p += sprintf(p, "\\x%02x", (unsigned char) *q);
		q++;
	}
	if (p == s)
		*p++ = '-';
	strcpy(p, suffix);
	*ret = s;
	return 0;
}

/* fstab's "UUID=..." and friends, as the udev symlink systemd-fstab-generator names the
 * unit after. */
static int fstab_node(const char *spec, char **ret) {
	static const struct { const char *tag, *dir; } tags[] = {
		{ "UUID=", "/dev/disk/by-uuid/" }, { "PARTUUID=", "/dev/disk/by-partuuid/" },
		{ "LABEL=", "/dev/disk/by-label/" }, { "PARTLABEL=", "/dev/disk/by-partlabel/" },
	};

	for (size_t i = 0; i < ELEMENTSOF(tags); i++)
		if (strneq(spec, tags[i].tag, strlen(tags[i].tag)))
			return (*ret = preflight_printf("%s%s", tags[i].dir, spec + strlen(tags[i].tag))) ? 0 : -ENOMEM;
	return (*ret = strdup(spec)) ? 0 : -ENOMEM;
}

static bool has_option(const char *opts, const char *name) {
	size_t n = strlen(name);

	for (const char *p = opts; *p; p += strcspn(p, ","), p += *p == ',')
		if (strneq(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

typedef struct SwapSources {
	char **units;      /* the unit that activates it */
	char **origins;    /* what it is, for people: "fstab UUID=...", "unit file /etc/..." */
} SwapSources;

static void swap_sources_done(SwapSources *s) {
	s->units = strv_free(s->units);
	s->origins = strv_free(s->origins);
}

static int swap_sources_add(SwapSources *s, const char *unit, const char *origin) {
	int r;

	if (strv_contains(s->units, unit))
		return 0;   /* the fstab line and the unit generated from it */
	if ((r = strv_extend(&s->units, unit)) < 0 || (r = strv_extend(&s->origins, origin)) < 0)
		return r;
	return 0;
}

static int fstab_sources(const PreflightContext *ctx, SwapSources *s) {
	_cleanup_free_ char *data = NULL;
	int r;

	r = preflight_read(ctx, "/etc/fstab", &data);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;   /* no fstab: nothing from it */
	for (char *line = data, *next; line && *line; line = next) {
		char spec[PATH_MAX], file[PATH_MAX], type[64], opts[1024] = "";
		_cleanup_free_ char *node = NULL, *unit = NULL, *origin = NULL;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line += strspn(line, " \t");
		if (*line == '#' || sscanf(line, "%4095s %4095s %63s %1023s", spec, file, type, opts) < 3)
			continue;
		/* noauto lines are only swapped on by hand. */
		if (!streq(type, "swap") || has_option(opts, "noauto"))
			continue;
		if ((r = fstab_node(spec, &node)) < 0 || (r = unit_name_from_path(node, ".swap", &unit)) < 0)
			return r;
		if (!(origin = preflight_printf("fstab %s", spec)) || (r = swap_sources_add(s, unit, origin)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* 1: dir/unit is a mask (a link to /dev/null), 0: it is something else, -ENOENT: nothing. */
static int is_mask(const PreflightContext *ctx, const char *dir, const char *unit) {
	_cleanup_free_ char *rel = NULL, *p = NULL;
	char target[16];
	struct stat st;

	if (!(rel = preflight_printf("%s/%s", dir, unit)) || preflight_path(ctx, rel, &p) < 0)
		return -ENOMEM;
	if (lstat(p, &st) < 0)
		return -ENOENT;
	ssize_t n = readlink(p, target, sizeof target - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return streq(target, "/dev/null");
}

/* The unit search path, most important first: the first directory that has the unit
 * decides, so a runtime mask in /run does not hide a unit file in /etc. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient",
	"/run/systemd/generator.early", "/etc/systemd/system", "/run/systemd/system", "/run/systemd/generator",
	"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/run/systemd/generator.late",
};

static bool unit_masked(const PreflightContext *ctx, const char *unit) {
	for (size_t i = 0; i < ELEMENTSOF(unit_dirs); i++) {
		int r = is_mask(ctx, unit_dirs[i], unit);
		if (r != -ENOENT)
			return r > 0;
	}
	return false;
}

static int unit_dir_sources(const PreflightContext *ctx, const char *dir, const char *what, SwapSources *s) {
	_cleanup_free_ char *path = NULL;
	DIR *d;
	int r = 0;

	if ((r = preflight_path(ctx, dir, &path)) < 0)
		return r;
	if (!(d = opendir(path)))
		return 0;
	for (struct dirent *de; r >= 0 && (de = readdir(d));) {
		_cleanup_free_ char *origin = NULL;
		size_t n = strlen(de->d_name);

		if (n <= STRLEN(".swap") || !streq(de->d_name + n - STRLEN(".swap"), ".swap") ||
		    is_mask(ctx, dir, de->d_name) != 0)
			continue;
		origin = preflight_printf("%s %s/%s", what, dir, de->d_name);
		r = origin ? swap_sources_add(s, de->d_name, origin) : -ENOMEM;
	}
	closedir(d);
	return r;
}

static int find_swap_sources(const PreflightContext *ctx, SwapSources *s) {
	static const struct { const char *dir, *what; } dirs[] = {
		{ "/etc/systemd/system", "unit" },
		{ "/run/systemd/system", "unit" },
		{ "/usr/local/lib/systemd/system", "unit" },
		{ "/usr/lib/systemd/system", "unit" },
		{ "/run/systemd/generator", "generated" },   /* fstab-generator, zram-generator */
		{ "/run/systemd/generator.late", "GPT auto-swap" },   /* gpt-auto-generator */
	};
	int r;

	if ((r = fstab_sources(ctx, s)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if ((r = unit_dir_sources(ctx, dirs[i].dir, dirs[i].what, s)) < 0)
			return r;
	return 0;
}

/* Mask swap.target and each source's unit; the ones that could not be masked in *left. */
static int mask_sources(const PreflightContext *ctx, const SwapSources *s, char **done, char **left, bool *target) {
	int r;

	*target = ctx->mask_unit("swap.target", ctx->userdata) >= 0;
	if (*target && (r = strextend_list(done, "swap.target")) < 0)
		return r;
	for (size_t i = 0; s->units[i]; i++) {
		if (unit_masked(ctx, s->units[i]))
			continue;
		bool ok = ctx->mask_unit(s->units[i], ctx->userdata) >= 0;
		if ((r = strextend_list(ok ? done : left, ok ? s->units[i] : s->origins[i])) < 0)
			return r;
	}
	return 0;
}

int check_swap_sources(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	_cleanup_(swap_sources_done) SwapSources s = {};
	_cleanup_free_ char *active = NULL, *masked = NULL, *done = NULL, *left = NULL;
	const char *hint = "run 'systemctl mask swap.target' (it keeps every source off), or remove the fstab lines "
			   "and swap units and add systemd.swap=0 to the kernel command line";
	bool target_masked = unit_masked(ctx, "swap.target");
	int r;

	if ((r = find_swap_sources(ctx, &s)) < 0)
		return r;
	for (size_t i = 0; s.units && s.units[i]; i++) {
		_cleanup_free_ char *e = preflight_printf("%s (%s)", s.origins[i], s.units[i]);
		if (!e || (r = strextend_list(unit_masked(ctx, s.units[i]) ? &masked : &active, e)) < 0)
			return -ENOMEM;
	}
	if (!s.units)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "nothing turns swap on at boot%s",
				  target_masked ? " (swap.target is masked)" : "");
	if (!active)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "every swap source is masked: %s", masked);
	if (target_masked)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL,
				  "swap.target is masked: %s stay%s off at boot", active, strchr(active, ',') ? "" : "s");

	if (ctx->fix && ctx->mask_unit) {
		bool target;
		if ((r = mask_sources(ctx, &s, &done, &left, &target)) < 0)
			return r;
		if (target)
			return report_add(out, c->name, PREFLIGHT_FIXED, NULL,
					  "swap was configured for boot (%s): masked %s%s%s", active, done,
					  left ? "; masking failed for " : "", left ?: "");
		return report_add(out, c->name, PREFLIGHT_WARN, hint,
				  "swap is turned on at boot by %s: masking swap.target failed%s%s%s%s", active,
				  done ? "; masked " : "", done ?: "", left ? "; masking failed for " : "", left ?: "");
	}
	return report_add(out, c->name, PREFLIGHT_WARN, hint, "swap is turned on at boot by %s%s", active,
			  ctx->fix ? " (the supervisor cannot mask units)" : "");
}
