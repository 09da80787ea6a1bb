/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The render step: the files a node reads to form or join its cluster (render-*.c),
 * rendered once the bundle says which images the node will have, and checked before any
 * Debian work: the images the configuration names must be seeded, and the kubeadm that
 * ships must accept every configuration ("kubeadm config validate", strict: an unknown
 * or mistyped field fails). The tree step bakes what this step keeps. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "fileio.h"
#include "imagegen.h"
#include "log.h"
#include "process-util.h"
#include "render.h"
#include "strv.h"

/* kubeadm reads one file and answers: this long before it is taken for hung. */
#define KUBEADM_VALIDATE_TIMEOUT_USEC (60 * USEC_PER_SEC)

/* Takes text, also on failure. */
static int keep(Build *b, const char *path, char *text) {
	if (strv_extend(&b->render_paths, path) < 0) {
		free(text);
		return log_oom();
	}
	if (strv_consume(&b->render_texts, text) < 0)
		return log_oom();
	return 0;
}

/* kubeadm's own verdict, on the text a node will read; for a joining machine with the
 * join material it only gets at run time stood in by placeholders of the right form. */
static int validate(Build *b, const RenderInput *in, const RenderNode *node, const char *text) {
	_cleanup_free_ char *with_secrets = NULL, *path = NULL, *what = NULL, *out = NULL;
	int r;

	if (!node->initializes) {
		RenderInput v = *in;
		v.join = &render_join_placeholders;
		if ((r = render_kubeadm(&v, node, &with_secrets)) < 0)
			return log_error_errno(r, "Cannot render the configuration of %s: %m", node->name);
		text = with_secrets;
	}
	if (asprintf(&path, "%s/kubeadm-%s.yaml", b->scratch_dir, node->name) < 0 ||
	    asprintf(&what, "kubeadm config validate (the configuration of machine %s)", node->name) < 0)
		return log_oom();
	r = write_file_atomic(path, text, strlen(text), 0600, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	/* Run as the bundle step asks it for its images (bundle_ask_kubeadm()): a quick,
	 * local command, its complaints into the build log. */
	const char *argv[] = { b->kubeadm_path, "config", "validate", "--config", path, NULL };
	SpawnOptions opts = {
		.stdio = { [STDERR_FILENO] = SPAWN_STDIO_FROM_FD(b->log_fd) },
		.new_session = true,
		.pdeath_signal = SIGKILL,
	};
	int status = 0;
	r = capture_command_full(argv, &opts, KUBEADM_VALIDATE_TIMEOUT_USEC, CAPTURE_SIZE_MAX, &out, NULL, &status);
	if (r < 0)
		return log_error_errno(r, "%s: running %s failed: %m", what, b->kubeadm_path);
	if (status != 0) {
		log_error("%s failed (exit status %d):", what, status);
		build_show_log_tail(b, 5);
		return -EBADMSG;
	}
	(void) unlink(path);
	return 0;
}

int step_render(Build *b) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ RenderNode *nodes = NULL;
	size_t n;
	int r;

	if (b->opts.without_kubernetes) {
		log_info("Kubeadm configuration: none (--without-kubernetes).");
		return 0;
	}
	RenderInput in = { .profile = b->profile, .kubeadm_images = b->kubeadm_images, .seeded = b->bundle_images };
	r = render_check_images(&in, &diags);
	if (r < 0)
		return log_oom();
	if (diags.n > 0) {
		(void) print_diagnostics(&diags);
		return log_error_errno(-ENOENT, "The kubeadm configuration names images the node would not have.");
	}

	if ((r = render_nodes(b->profile, &nodes, &n)) < 0)
		return log_oom();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;
		char *text = NULL;

		r = render_kubeadm(&in, &nodes[i], &text);
		if (r < 0)
			return log_error_errno(r, "Cannot render the kubeadm configuration of %s: %m", nodes[i].name);
		if (asprintf(&path, RENDER_DIR "/%s.yaml", nodes[i].name) < 0) {
			free(text);
			return log_oom();
		}
		if ((r = keep(b, path, text)) < 0 || (r = validate(b, &in, &nodes[i], text)) < 0)
			return r;
	}

	char *admission = NULL, *corefile = NULL, *cni = NULL;
	if (render_admission(&admission) < 0)
		return log_oom();
	if ((r = keep(b, RENDER_ADMISSION_PATH, admission)) < 0)
		return r;
	if (render_corefile(b->profile, &corefile) < 0)
		return log_oom();
	if ((r = keep(b, RENDER_DIR "/Corefile", corefile)) < 0)
		return r;
	if (render_wants_bridge(b->profile)) {
		if (render_cni_bridge(b->profile, &cni) < 0)
			return log_oom();
		if ((r = keep(b, "/etc/cni/net.d/10-kiln-bridge.conflist", cni)) < 0)
			return r;
	}
	log_info("Kubeadm configuration: %zu machine%s, each accepted by kubeadm config validate%s.", n,
		 n == 1 ? "" : "s", cni ? "; a bridge pod network" : "");
	return 0;
}
