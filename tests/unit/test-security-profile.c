/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Malformed security profiles are refused with file:line:column and nothing loaded: unknown
 * names, contradictory settings, and the shapes of the schema itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security-profile.h"
#include "syscall-groups.h"
#include "tap.h"

#define HEAD "name: t\ndescription: a test\n"

/* Load text; return the first diagnostic as "line:column: message", or "valid". */
static char *first_problem(const char *text) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	char *s = NULL;
	int r = security_profile_load_buffer("t.yaml", text, strlen(text), &p, &diags);

	if (r == 0)
		return strdup("valid");
	if (r != -EBADMSG || diags.n == 0 || p)
		return strdup("bad return");
	if (asprintf(&s, "%u:%u: %s", diags.items[0].line, diags.items[0].column, diags.items[0].message) < 0)
		return NULL;
	return s;
}

static void expect(const char *text, const char *want_prefix, const char *name) {
	_cleanup_free_ char *got = first_problem(text);
	if (!ok(got && strncmp(got, want_prefix, strlen(want_prefix)) == 0, "%s", name))
		diag("got \"%s\", want \"%s...\"", got ?: "(null)", want_prefix);
}

int main(void) {
	expect(HEAD "seccomp: {allow: [\"@basic-process\"]}\n", "valid", "a minimal profile loads");
	expect(HEAD "seccomp:\n  allow: [read, frobnicate]\n",
	       "4:17: seccomp.allow[1]: invalid system call 'frobnicate'", "an unknown syscall: refused at its position");
	expect(HEAD "seccomp:\n  allow: [\"@no-such-group\"]\n",
	       "4:11: seccomp.allow[0]: invalid system call '@no-such-group'", "an unknown group: refused");
	expect(HEAD "capabilities:\n  bounding: [CAP_SYS_ADMIN, CAP_FLY]\nseccomp: {allow: [read]}\n",
	       "4:29: capabilities.bounding[1]: invalid capability 'CAP_FLY'", "an unknown capability: refused");
	expect(HEAD "capabilities:\n  bounding: [cap_sys_admin]\nseccomp: {allow: [read]}\n",
	       "4:14: capabilities.bounding[0]: invalid capability", "capabilities are spelled CAP_*");
	expect(HEAD "capabilities:\n  bounding: [CAP_CHOWN]\n  ambient: [CAP_CHOWN, CAP_KILL]\nseccomp: {allow: [read]}\n",
	       "5:24: capabilities.ambient: CAP_KILL is not in capabilities.bounding", "ambient outside bounding: refused");
	expect(HEAD "capabilities:\n  bounding: [CAP_CHOWN]\n  ambient: [CAP_CHOWN]\n  permitted: []\n  effective: [CAP_CHOWN]\n"
		    "seccomp: {allow: [read]}\n", "valid", "permitted [] means not set; effective equal to ambient loads");
	expect(HEAD "capabilities:\n  bounding: [CAP_CHOWN, CAP_KILL]\n  ambient: [CAP_CHOWN]\n  effective: [CAP_KILL]\n"
		    "seccomp: {allow: [read]}\n",
	       "6:15: capabilities.effective differs from capabilities.ambient", "effective other than ambient: refused");
	expect(HEAD "seccomp:\n  defaultAction: kill\n  errno: EPERM\n  allow: [read]\n",
	       "5:10: seccomp.errno is set but seccomp.defaultAction is kill", "errno with kill: contradictory");
	expect(HEAD "seccomp:\n  allow: [socket]\n", "4:11: seccomp.allow lets socket(2) through but seccomp.socketFamilies is empty",
	       "socket without families: refused");
	expect(HEAD "seccomp:\n  allow: [read]\n  socketFamilies: [AF_UNIX]\n",
	       "5:20: seccomp.socketFamilies is set but seccomp.allow does not let socket(2) through",
	       "families without socket: refused");
	expect(HEAD "seccomp:\n  allow: [socket]\n  socketFamilies: [AF_UNIX, AF_SMOKE]\n",
	       "5:29: seccomp.socketFamilies[1]: unknown value 'AF_SMOKE'", "an unknown socket family: refused");
	expect(HEAD "seccomp:\n  allow: [read]\n  namespaces: [net]\n",
	       "5:16: seccomp.namespaces is set but seccomp.allow lets none of clone, unshare and setns through",
	       "namespaces without clone, unshare or setns: refused");
	expect(HEAD "noNewPrivileges: false\nseccomp: {allow: [read]}\n",
	       "3:18: noNewPrivileges is false but the helper keeps no CAP_SYS_ADMIN", "no NNP and no CAP_SYS_ADMIN: refused");
	expect(HEAD "seccomp: {allow: [read]}\nwritablePaths: [/, /var]\n",
	       "4:17: writablePaths: \"/\" makes every path writable", "\"/\" next to other paths: refused");
	expect(HEAD "seccomp: {allow: [read]}\nwritablePaths: [var/lib]\n",
	       "4:17: writablePaths[0]: invalid path 'var/lib'", "a relative writable path: refused");
	expect(HEAD "seccomp: {allow: [read]}\nwritablePaths: [/var/../etc]\n",
	       "4:17: writablePaths[0]: invalid path", "a writable path with '..': refused");
	expect(HEAD "seccomp: {allow: [read]}\nseccompDefault: true\n", "4:1: unknown key 'seccompDefault'",
	       "an unknown key: refused");
	expect("name: t\nseccomp: {allow: [read]}\n", "1:1: missing required key 'description'", "description is required");
	expect(HEAD "capabilities: {bounding: []}\n", "1:1: missing required key 'seccomp'", "seccomp is required");
	expect(HEAD "seccomp: {allow: []}\n", "3:18: seccomp.allow", "an empty allow-list: refused");

	/* The group table itself: every group resolves without a cycle, every member is known. */
	size_t n = syscall_set_size();
	bool bad = false;
	for (size_t i = 0; i < syscall_groups_count; i++) {
		_cleanup_free_ bool *set = calloc(n, sizeof(bool));
		int r = syscall_set_add(set, n, syscall_groups[i].name);
		if (r <= 0 || !syscall_groups[i].help) {
			diag("%s: %d", syscall_groups[i].name, r);
			bad = true;
		}
		for (const char *const *m = syscall_groups[i].members; *m; m++)
			if ((*m)[0] == '@' && !syscall_group_find(*m)) {
				diag("%s: unknown member %s", syscall_groups[i].name, *m);
				bad = true;
			}
	}
	ok(!bad, "all %zu syscall groups resolve, each with a help line", syscall_groups_count);
	return done_testing();
}
