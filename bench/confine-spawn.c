/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the harden-then-exec path adds to a helper's start: N starts of /bin/true to its
 * exit, plain spawn() and spawn() with the profile's Confinement, interleaved so that
 * both see the same machine. Also the one-time cost of confinement_prepare() (loading and
 * compiling the profile). Prints one line per profile; bench/confine.sh runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "confine.h"
#include "process-util.h"
#include "security-profile.h"

static double now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double one_start(const Confinement *c) {
	SpawnOptions so = { .confine = c };
	const char *argv[] = { "/bin/true", NULL };
	int status;
	pid_t pid;
	double t = now_us();
	if (spawn(argv, &so, &pid) < 0 || wait_for_exit(pid, USEC_INFINITY, &status) < 0 || status != 0) {
		fprintf(stderr, "start failed\n");
		exit(1);
	}
	return now_us() - t;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 500;
	if (n < 10 || argc < 3) {
		fprintf(stderr, "usage: confine-spawn N PROFILE.yaml...\n");
		return 2;
	}
	double *plain = calloc(n, sizeof(double)), *conf = calloc(n, sizeof(double));
	printf("%-15s %9s %9s %9s %9s %7s\n", "profile", "prepare", "plain", "confined", "added", "ratio");
	for (int i = 2; i < argc; i++) {
		_cleanup_(diag_list_done) DiagList diags = {};
		_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
		_cleanup_(confinement_freep) Confinement *c = NULL;
		double t = now_us();
		if (security_profile_load_file(argv[i], &p, &diags) < 0 || confinement_prepare(p, &c, NULL) < 0) {
			fprintf(stderr, "%s does not load or compile\n", argv[i]);
			return 1;
		}
		double prep = now_us() - t;
		for (int k = 0; k < n; k++) {
			plain[k] = one_start(NULL);
			conf[k] = one_start(c);
		}
		qsort(plain, n, sizeof(double), cmp);
		qsort(conf, n, sizeof(double), cmp);
		double mp = plain[n / 2], mc = conf[n / 2];
		printf("%-15s %7.0fus %7.0fus %7.0fus %7.0fus %7.2f\n", p->name, prep, mp, mc, mc - mp, mc / mp);
	}
	free(plain);
	free(conf);
	return 0;
}
