/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fileio.h"
#include "pod-seccomp.h"
#include "strv.h"
#include "syscall-groups.h"

#define LABEL_TEXT "lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit"

static const SchemaCheck
	check_name = { "profile name", LABEL_TEXT, hostname_label_is_valid },
	check_syscall = { "system call", "a system call or a group such as @file-read (kiln-confine list)",
			  syscall_name_is_valid };

static const SchemaField pod_seccomp_fields[] = {
	{ SCHEMA_KEY("name", SCHEMA_STRING, PodSeccomp, name), .flags = SCHEMA_REQUIRED, .check = &check_name,
	  .help = "name: the profile's name, as in kiln/NAME.json" },
	{ SCHEMA_KEY("description", SCHEMA_STRING, PodSeccomp, description), .help = "one line for people" },
	{ SCHEMA_LIST_KEY("allow", SCHEMA_STRING, PodSeccomp, allow), .flags = SCHEMA_LIST | SCHEMA_UNIQUE | SCHEMA_REQUIRED,
	  .check = &check_syscall, .help = "system calls and @groups allowed besides @default" },
};

const SchemaTable pod_seccomp_schema = SCHEMA_TABLE(PodSeccomp, pod_seccomp_fields);

PodSeccomp *pod_seccomp_free(PodSeccomp *p) {
	if (!p)
		return NULL;
	schema_done(&pod_seccomp_schema, p);
	schema_positions_done(&p->positions);
	free(p);
	return NULL;
}

int pod_seccomp_load_buffer(const char *file, const void *buf, size_t size, PodSeccomp **ret, DiagList *diags) {
	_cleanup_(pod_seccomp_freep) PodSeccomp *p = NULL;
	size_t before;
	int r;

	if (!file || !buf || !ret || !diags)
		return -EINVAL;
	before = diags->n;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	r = schema_load(&pod_seccomp_schema, file, buf, size, p, &p->positions, diags);
	if (r < 0)
		return r;
	if (diags->n > before) {
		diag_list_sort_unique(diags);
		return -EBADMSG;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

int pod_seccomp_load_file(const char *path, PodSeccomp **ret, DiagList *diags) {
	_cleanup_free_ char *buf = NULL;
	size_t size;
	int r;

	r = read_full_file_max(path, SCHEMA_INPUT_MAX, &buf, &size);
	if (r < 0)
		return r;
	return pod_seccomp_load_buffer(path, buf, size, ret, diags);
}

/* libseccomp's names of the image's architectures, as OCI runtimes take them. */
static const char *oci_architecture(Architecture a) {
	switch (a) {
	case ARCHITECTURE_AMD64: return "SCMP_ARCH_X86_64";
	case ARCHITECTURE_ARM64: return "SCMP_ARCH_AARCH64";
	default:                 return NULL;
	}
}

int pod_seccomp_to_oci(const PodSeccomp *p, Architecture arch, char **ret) {
	_cleanup_strv_free_ char **names = NULL;
	const char *word = oci_architecture(arch);
	json_t *list, *doc;
	int r;

	if (!p || !ret || !word)
		return -EINVAL;
	r = syscall_names_new(p->allow, p->n_allow, &names);
	if (r < 0)
		return r;
	list = json_array();
	if (!list)
		return -ENOMEM;
	for (char **n = names; *n; n++)
		if (json_array_append_new(list, json_string(*n)) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	/* EPERM, as runc and crun answer a refused call by default: what programs expect of
	 * "not allowed" (ENOSYS would send some looking for an older call instead). */
	doc = json_pack("{s:s, s:i, s:[s], s:[{s:o, s:s}]}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet", EPERM,
			"architectures", word, "syscalls", "names", list, "action", "SCMP_ACT_ALLOW");
	if (!doc)
		return -ENOMEM;
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	r = asprintf(ret, "%s\n", text);
	free(text);
	return r < 0 ? -ENOMEM : 0;
}
