/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "seeded-images.h"

static const char *const verdict_table[_SEEDED_IMAGE_VERDICT_MAX] = {
	[SEEDED_IMAGE_OK] = "ok",
	[SEEDED_IMAGE_MISSING] = "missing",
	[SEEDED_IMAGE_WRONG_DIGEST] = "wrong-digest",
	[SEEDED_IMAGE_NOT_PINNED] = "not-pinned",
};

const char *seeded_image_verdict_to_string(SeededImageVerdict v) {
	return v >= 0 && v < _SEEDED_IMAGE_VERDICT_MAX ? verdict_table[v] : NULL;
}

static const ContainerdImage *find(const ContainerdImage *present, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (present[i].name && streq(present[i].name, name))
			return &present[i];
	return NULL;
}

int seeded_images_check(const ImageInfoImage *expected, size_t n_expected, const ContainerdImage *present,
			size_t n_present, SeededImageResult **ret) {
	SeededImageResult *results = NULL;
	int wrong = 0;

	if ((!expected && n_expected > 0) || (!present && n_present > 0) || !ret)
		return -EINVAL;
	if (n_expected > 0 && !(results = calloc(n_expected, sizeof *results)))
		return -ENOMEM;
	for (size_t i = 0; i < n_expected; i++) {
		const ContainerdImage *c = find(present, n_present, expected[i].name);
		const char *pin = containerd_image_label(c, CONTAINERD_PINNED_LABEL);
		SeededImageResult *r = &results[i];

		r->expected = &expected[i];
		if (!c)
			r->verdict = SEEDED_IMAGE_MISSING;
		else if (!c->target_digest || !streq(c->target_digest, expected[i].digest)) {
			r->verdict = SEEDED_IMAGE_WRONG_DIGEST;
			r->found_digest = c->target_digest ?: "";
		} else if (!pin || !streq(pin, CONTAINERD_PINNED_VALUE))
			r->verdict = SEEDED_IMAGE_NOT_PINNED;
		else
			r->verdict = SEEDED_IMAGE_OK;
		wrong += r->verdict != SEEDED_IMAGE_OK;
	}
	*ret = results;
	return wrong;
}

/* "; " then one problem, appended to *s. */
static int append_problem(char **s, const SeededImageResult *r) {
	const char *name = r->expected->name;
	char *j = NULL;
	int k;

	switch (r->verdict) {
	case SEEDED_IMAGE_MISSING:
		k = asprintf(&j, "%s%s%s missing", *s ?: "", *s ? "; " : "", name);
		break;
	case SEEDED_IMAGE_WRONG_DIGEST:
		k = asprintf(&j, "%s%s%s has %s (want %s)", *s ?: "", *s ? "; " : "", name,
			     isempty(r->found_digest) ? "no target" : r->found_digest, r->expected->digest);
		break;
	case SEEDED_IMAGE_NOT_PINNED:
		k = asprintf(&j, "%s%s%s not pinned (no %s=%s label)", *s ?: "", *s ? "; " : "", name,
			     CONTAINERD_PINNED_LABEL, CONTAINERD_PINNED_VALUE);
		break;
	default:
		return 0;
	}
	if (k < 0)
		return -ENOMEM;
	free(*s);
	*s = j;
	return 0;
}

int seeded_images_describe(const SeededImageResult *results, size_t n, char **ret) {
	_cleanup_free_ char *problems = NULL;
	size_t wrong = 0;
	char *d = NULL;

	if ((!results && n > 0) || !ret)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (results[i].verdict == SEEDED_IMAGE_OK)
			continue;
		wrong++;
		if (append_problem(&problems, &results[i]) < 0)
			return -ENOMEM;
	}
	int k;
	if (n == 0)
		k = (d = strdup("0 expected")) ? 0 : -1;
	else if (wrong == 0)
		k = asprintf(&d, "%zu seeded image%s present, pinned, at %s digest%s", n, n == 1 ? "" : "s",
			     n == 1 ? "its" : "their", n == 1 ? "" : "s");
	else
		k = asprintf(&d, "%zu of %zu seeded image%s wrong: %s", wrong, n, n == 1 ? "" : "s", problems);
	if (k < 0)
		return -ENOMEM;
	*ret = d;
	return 0;
}
