/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pods' seccomp profiles (lib/pod-seccomp.c): the shipped one loads and becomes the
 * OCI JSON runc and crun read, with kiln's groups spelled out by name; a bad one is
 * refused at its line and column. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pod-seccomp.h"
#include "tap.h"

static bool has_name(json_t *names, const char *name) {
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v)
		if (streq(json_string_value(v), name))
			return true;
	return false;
}

static void test_shipped(void) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(pod_seccomp_freep) PodSeccomp *p = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL, *arm = NULL;

	if (asprintf(&path, "%s/profiles/pod-seccomp/network-service.yaml", tap_srcdir()) < 0)
		return;
	is_int(pod_seccomp_load_file(path, &p, &diags), 0, "network-service.yaml loads");
	if (!p)
		return;
	is_str(p->name, "network-service", "its name is the file's");
	is_int(pod_seccomp_to_oci(p, ARCHITECTURE_AMD64, &text), 0, "it renders as OCI JSON");
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	ok(doc, "the JSON parses");
	if (!doc)
		return;
	is_str(json_string_value(json_object_get(doc, "defaultAction")), "SCMP_ACT_ERRNO", "every other call: an error");
	is_int(json_integer_value(json_object_get(doc, "defaultErrnoRet")), EPERM, "EPERM");
	json_t *arches = json_object_get(doc, "architectures");
	ok(json_array_size(arches) == 1 && streq(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64"),
	   "the image's architecture only: another ABI's calls are refused");
	json_t *rule = json_array_get(json_object_get(doc, "syscalls"), 0), *names = json_object_get(rule, "names");
	is_str(json_string_value(json_object_get(rule, "action")), "SCMP_ACT_ALLOW", "one rule: allow the names");
	ok(has_name(names, "execve") && has_name(names, "exit_group") && has_name(names, "futex"), "@default is in");
	ok(has_name(names, "socket") && has_name(names, "openat") && has_name(names, "clone") && has_name(names, "ioctl"),
	   "its groups, spelled out by name");
	ok(!has_name(names, "mkdir") && !has_name(names, "unlinkat") && !has_name(names, "chown") &&
	   !has_name(names, "mount") && !has_name(names, "init_module") && !has_name(names, "setuid") &&
	   !has_name(names, "unshare"), "not file writes by path, chown, mount, modules, setuid, namespaces");
	bool sorted = true;
	for (size_t i = 1; i < json_array_size(names); i++)
		sorted = sorted && strcmp(json_string_value(json_array_get(names, i - 1)),
					  json_string_value(json_array_get(names, i))) < 0;
	ok(sorted, "the names sorted, each once (%zu)", json_array_size(names));
	json_decref(doc);
	is_int(pod_seccomp_to_oci(p, ARCHITECTURE_ARM64, &arm), 0, "for arm64 too");
	ok(arm && strstr(arm, "\"SCMP_ARCH_AARCH64\""), "with its architecture");
}

static void test_bad(void) {
	static const char text[] = "name: x\nallow: [\"@file-read\", \"@nope\"]\n";
	_cleanup_(diag_list_done) DiagList diags = {};
	PodSeccomp *p = NULL;

	is_int(pod_seccomp_load_buffer("bad.yaml", text, strlen(text), &p, &diags), -EBADMSG, "an unknown group: refused");
	ok(diags.n == 1 && diags.items[0].line == 2 && diags.items[0].column == 23, "at its line and column (%u:%u)",
	   diags.n ? diags.items[0].line : 0, diags.n ? diags.items[0].column : 0);
	ok(!p, "nothing returned");
}

int main(void) {
	test_shipped();
	test_bad();
	return tap_done();
}
