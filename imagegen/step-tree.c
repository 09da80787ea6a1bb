/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image's tree: the cached Debian root file system unpacked, then kiln laid over it
 * (rootfs/ overlay, units, the node programs, the profile, the addons' manifests), its first-boot identity
 * prepared, the kernel moved out for the ESP and /var split off for its own partition. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "audit-exceptions.h"
#include "blob-cache.h"
#include "build.h"
#include "bundle.h"
#include "manifest-images.h"
#include "config.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "rm-rf.h"
#include "strv.h"

/* The node programs: where an uninstalled build tree has them, where an installed kiln has
 * them, and where they go in the image. */
static const struct PayloadFile {
	const char *build_path;
	const char *installed_path;
	const char *image_path;
} payload[] = {
	{ "supervisor/kiln-supervisor",  KILN_LIBEXEC_DIR "/kiln-supervisor",  "/usr/libexec/kiln/kiln-supervisor" },
	{ "supervisor/kiln-firstboot",   KILN_LIBEXEC_DIR "/kiln-firstboot",   "/usr/libexec/kiln/kiln-firstboot" },
	{ "supervisor/kiln-store-check", KILN_LIBEXEC_DIR "/kiln-store-check", "/usr/libexec/kiln/kiln-store-check" },
	{ "supervisor/kilnctl",          KILN_BIN_DIR "/kilnctl",              "/usr/bin/kilnctl" },
	{ "supervisor/kiln-confine",     KILN_BIN_DIR "/kiln-confine",         "/usr/bin/kiln-confine" },
};

static int tree_unpack(Build *b) {
	int r = tree_link_copy(b->rootfs_tree, b->tree_dir);
	if (r < 0)
		return log_error_errno(r, "Cannot copy %s to %s: %m", b->rootfs_tree, b->tree_dir);
	return 0;
}

/* The kernel and initrd boot from the ESP; the root file system does not need them. */
static int tree_take_kernel(Build *b) {
	_cleanup_free_ char *pattern = NULL, *kdir = NULL, *initrd = NULL, *kdst = NULL, *idst = NULL;
	glob_t g = {};
	int r;

	if (asprintf(&pattern, "%s/boot/vmlinuz-*", b->tree_dir) < 0)
		return log_oom();
	if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		globfree(&g);
		return log_error_errno(-ENOENT, "The root file system has no kernel in /boot; is %s installed?",
				       b->profile->kernel.package);
	}
	if (g.gl_pathc > 1)
		log_warning("Several kernels in /boot; using the last one.");
	const char *vmlinuz = g.gl_pathv[g.gl_pathc - 1];
	b->kernel_version = strdup(strrchr(vmlinuz, '/') + strlen("/vmlinuz-"));
	if (!b->kernel_version || asprintf(&initrd, "%s/boot/initrd.img-%s", b->tree_dir, b->kernel_version) < 0 ||
	    asprintf(&kdir, "%s/kiln", b->esp_tree_dir) < 0 ||
	    asprintf(&kdst, "%s/vmlinuz", kdir) < 0 || asprintf(&idst, "%s/initrd.img", kdir) < 0) {
		globfree(&g);
		return log_oom();
	}
	r = mkdir_p(kdir, 0755);
	if (r >= 0 && rename(vmlinuz, kdst) < 0)
		r = -errno;
	globfree(&g);
	if (r < 0)
		return log_error_errno(r, "Cannot move the kernel out of the tree: %m");
	if (rename(initrd, idst) < 0)
		return log_error_errno(-errno, "The kernel %s has no initrd (%s): %m", b->kernel_version, initrd);
	return initrd_append_confinement(b, idst);
}

/* Enable a unit the way "systemctl enable" would, from its [Install] WantedBy= and
 * RequiredBy= lines: a symlink in /etc/systemd/system/<target>.wants/. */
int tree_enable_unit(Build *b, const char *unit_path, const char *unit_name) {
	_cleanup_free_ char *text = NULL;
	int r = read_full_file(unit_path, &text, NULL);
	if (r < 0)
		return r;

	bool install = false;
	for (char *l = text, *nl; l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		if (l[0] == '[') {
			install = streq(l, "[Install]");
			continue;
		}
		const char *kind = strneq(l, "WantedBy=", 9) ? ".wants" : strneq(l, "RequiredBy=", 11) ? ".requires" : NULL;
		if (!install || !kind)
			continue;
		char *targets = strchr(l, '=') + 1, *save = NULL;
		for (char *t = strtok_r(targets, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
			_cleanup_free_ char *link = NULL, *target = NULL;
			if (asprintf(&link, "%s/etc/systemd/system/%s%s/%s", b->tree_dir, t, kind, unit_name) < 0 ||
			    asprintf(&target, "/usr/lib/systemd/system/%s", unit_name) < 0)
				return -ENOMEM;
			if ((r = mkdir_parents(link, 0755)) < 0)
				return r;
			(void) unlink(link);
			if (symlink(target, link) < 0)
				return -errno;
		}
	}
	return 0;
}

static int tree_install_units(Build *b) {
	_cleanup_free_ char *dir = NULL;
	struct dirent **names = NULL;
	int n, r = 0;

	if (asprintf(&dir, "%s/units", b->data_dir) < 0)
		return log_oom();
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return log_error_errno(-errno, "Cannot read the units in %s: %m", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		const char *dot = strrchr(name, '.');
		if (r >= 0 && dot && (streq(dot, ".service") || streq(dot, ".target") || streq(dot, ".timer"))) {
			_cleanup_free_ char *src = NULL, *rel = NULL;
			if (asprintf(&src, "%s/%s", dir, name) < 0 || asprintf(&rel, "/usr/lib/systemd/system/%s", name) < 0)
				r = -ENOMEM;
			else if ((r = tree_copy_file(b, src, rel, 0644)) >= 0)
				r = tree_enable_unit(b, src, name);
			if (r < 0)
				log_error_errno(r, "Cannot install the unit %s: %m", name);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int tree_install_payload(Build *b) {
	for (size_t i = 0; i < ELEMENTSOF(payload); i++) {
		_cleanup_free_ char *src = NULL;
		const struct PayloadFile *f = &payload[i];
		int r;

		if (b->payload_dir[0] ? asprintf(&src, "%s/%s", b->payload_dir, f->build_path) < 0
				      : !(src = strdup(f->installed_path)))
			return log_oom();
		r = tree_copy_file(b, src, f->image_path, 0755);
		if (r < 0)
			return log_error_errno(r, "Cannot install %s into the image: %m", src);
	}
	return 0;
}

/* The helpers' security profiles (kiln-security(5)), where the node programs read them
 * (HELPER_SECURITY_DIR): without them the supervisor starts no helper at all. */
/* The containers kilnctl audit lets run unconfined: checked here, so an image never ships
 * a list the auditor would refuse. */
static int tree_install_audit_exceptions(Build *b) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ char *src = NULL;
	AuditExceptions e = {};
	int r;

	if (asprintf(&src, "%s/profiles/audit-exceptions.yaml", b->data_dir) < 0)
		return log_oom();
	r = audit_exceptions_load_file(src, &e, &diags);
	audit_exceptions_done(&e);
	if (r == -EBADMSG) {
		for (size_t i = 0; i < diags.n; i++) {
			_cleanup_free_ char *line = NULL;
			if (diag_format(&diags.items[i], &line) < 0)
				return log_oom();
			log_error("%s", line);
		}
		return log_error_errno(r, "The audit exceptions %s are not valid.", src);
	}
	if (r < 0)
		return log_error_errno(r, "Cannot read the audit exceptions %s: %m", src);
	r = tree_copy_file(b, src, "/usr/lib/kiln/audit-exceptions.yaml", 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot install the audit exceptions: %m");
	return 0;
}

static int tree_install_security(Build *b) {
	_cleanup_free_ char *dir = NULL;
	struct dirent **names = NULL;
	int n, r = 0;

	if (asprintf(&dir, "%s/profiles/security", b->data_dir) < 0)
		return log_oom();
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return log_error_errno(-errno, "Cannot read the security profiles in %s: %m", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		/* kubeadm's profiles go where kubeadm goes: an image without Kubernetes has
		 * neither (the supervisor then never runs it). */
		bool kubeadm_only = strneq(name, "kubeadm-", strlen("kubeadm-"));
		if (r >= 0 && len > 5 && streq(name + len - 5, ".yaml") && (b->kubernetes_present || !kubeadm_only)) {
			_cleanup_free_ char *src = NULL, *rel = NULL;
			if (asprintf(&src, "%s/%s", dir, name) < 0 || asprintf(&rel, "/usr/lib/kiln/security/%s", name) < 0)
				r = -ENOMEM;
			else if ((r = tree_copy_file(b, src, rel, 0644)) < 0)
				log_error_errno(r, "Cannot install the security profile %s: %m", name);
		}
		free(names[i]);
	}
	free(names);
	if (r < 0)
		return r;
	return tree_install_audit_exceptions(b);
}

/* kubeadm, kubelet, kubectl and crictl from --artifacts, else from the cache. */
static void kubernetes_version_string(const Profile *p, char buf[static 32]) {
	const KubernetesVersion *v = &p->kubernetes.version;
	snprintf(buf, 32, "v%u.%u.%u", v->major, v->minor, v->patch);
}

/* A release tarball (crictl's): take the one member out into the tree. */
static int tree_extract_member(Build *b, const char *digest, const char *member, const char *rel) {
	_cleanup_free_ char *blob = NULL, *data = NULL;
	struct archive_entry *entry;
	size_t size = 0;
	int r = blob_cache_path(b->cache_dir, digest, &blob);
	if (r < 0)
		return r;

	struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	r = -ENOENT;
	if (archive_read_open_filename(a, blob, 65536) == ARCHIVE_OK)
		while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
			const char *name = archive_entry_pathname(entry), *slash = strrchr(name, '/');
			if (archive_entry_filetype(entry) != AE_IFREG || !streq(slash ? slash + 1 : name, member))
				continue;
			int64_t want = archive_entry_size(entry);
			if (want < 0 || want > (int64_t) 512 << 20 || !(data = malloc(want ?: 1))) {
				r = want < 0 || want > (int64_t) 512 << 20 ? -EFBIG : -ENOMEM;
				break;
			}
			la_ssize_t got = archive_read_data(a, data, (size_t) want);
			size = (size_t) want;
			r = got == want ? 0 : -EIO;
			break;
		}
	archive_read_free(a);
	if (r < 0)
		return r;
	return tree_add_file(b, rel, data, size, 0755);
}

/* kubeadm, kubelet, kubectl and crictl: from --artifacts, else from the cache, by the
 * digests the lock file pins (step-bundle.c checked they are there). */
static int tree_install_kubernetes(Build *b) {
	int r;

	if (b->opts.without_kubernetes) {
		b->kubernetes_present = false;
		log_info("Kubernetes: not installed (--without-kubernetes); the node will report its cluster phase as \"not installed\".");
		return 0;
	}

	BundleFile files[BUNDLE_N_FILES] = {};
	if ((r = bundle_kubernetes_files(b->profile, files)) < 0)
		return log_error_errno(r, "Cannot list the Kubernetes binaries: %m");
	for (size_t i = 0; i < BUNDLE_N_FILES && r >= 0; i++) {
		_cleanup_free_ char *src = NULL, *rel = NULL;
		const char *name = files[i].name;

		if (asprintf(&rel, "/usr/bin/%s", name) < 0) {
			r = log_oom();
			break;
		}
		if (b->opts.artifacts_dir) {
			if (asprintf(&src, "%s/%s", b->opts.artifacts_dir, name) < 0)
				r = log_oom();
			else if (access(src, R_OK) < 0)
				r = log_error_errno(-errno, "Kubernetes %s: %s is missing from --artifacts: %m", name, src);
			else
				r = tree_copy_file(b, src, rel, 0755);
		} else {
			const LockEntry *e = lock_file_find(b->lock, LOCK_FILE, name);
			if (!e)
				r = log_error_errno(-ENOENT, "Kubernetes %s is not in the lock file.", name);
			else if (files[i].member)
				r = tree_extract_member(b, e->digest, files[i].member, rel);
			else if ((r = blob_cache_path(b->cache_dir, e->digest, &src)) >= 0) {
				/* The cache holds what the lock pins, unless it was damaged since. */
				char sha256[65];
				_cleanup_free_ char *sha512 = NULL;
				bool is512 = strneq(e->digest, "sha512:", 7);
				r = tree_copy_file_digest(b, src, rel, 0755, sha256);
				if (r >= 0 && is512)
					r = hash_file(HASH_SHA512, src, &sha512);
				if (r >= 0 && !streq(e->digest + 7, is512 ? sha512 : sha256))
					r = log_error_errno(-EBADMSG, "Kubernetes %s in the cache (%s) is not %s as locked: the cache is damaged; run \"kiln-imagegen fetch\" again.",
							    name, src, e->digest);
			}
		}
		if (r < 0) {
			log_error_errno(r, "Cannot install %s: %m", name);
			break;
		}
		json_t *f = json_object_get(b->files, rel);
		if (json_object_set(b->artifacts, name, f) < 0)
			r = log_oom();
	}
	bundle_files_done(files);
	if (r < 0)
		return r;
	b->kubernetes_present = true;
	return 0;
}

/* What kubeadm needs on the node, only in images with Kubernetes: the kubelet's unit and
 * kubeadm's drop-in for it (not enabled: the supervisor starts the kubelet), crictl's
 * configuration (rootfs-kubernetes/), the pods' seccomp profiles, and the files the render
 * step made: each machine's kubeadm configuration, the API server's admission
 * configuration, the Corefile, the one-machine pod network. */
static int tree_cluster_files(Build *b) {
	_cleanup_free_ char *overlay = NULL;
	int r;

	if (!b->kubernetes_present)
		return 0;
	if (asprintf(&overlay, "%s/rootfs-kubernetes", b->data_dir) < 0)
		return log_oom();
	r = tree_copy_dir(b, overlay, "");
	if (r < 0)
		return log_error_errno(r, "Cannot lay %s over the tree: %m", overlay);
	if ((r = tree_pod_seccomp(b)) < 0)
		return r;
	for (size_t i = 0; b->render_paths && b->render_paths[i]; i++) {
		r = tree_add_file(b, b->render_paths[i], b->render_texts[i], strlen(b->render_texts[i]), 0644);
		if (r < 0)
			return log_error_errno(r, "Cannot write %s into the tree: %m", b->render_paths[i]);
	}
	return 0;
}

/* Identity: an empty /etc/machine-id has systemd generate and save one at the first
 * boot (the /etc overlay is writable by then). Deliberately not "uninitialized": that
 * would make it a "first boot" in machine-id(5)'s sense and apply every unit preset
 * (Debian's enable everything, systemd-networkd and systemd-firstboot among them),
 * which an appliance with a fixed set of units does not want. The hostname is the
 * profile's, or kiln-firstboot derives it. */
static int tree_identity(Build *b) {
	_cleanup_free_ char *machine_id = NULL, *dbus_id = NULL, *hostname = NULL;
	const Profile *p = b->profile;
	int r;

	if (asprintf(&machine_id, "%s/etc/machine-id", b->tree_dir) < 0 ||
	    asprintf(&dbus_id, "%s/var/lib/dbus/machine-id", b->tree_dir) < 0 ||
	    asprintf(&hostname, "%s/etc/hostname", b->tree_dir) < 0)
		return log_oom();
	r = write_file_atomic(machine_id, "", 0, 0444, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot empty /etc/machine-id: %m");
	struct stat st;
	if (lstat(dbus_id, &st) == 0 && S_ISREG(st.st_mode))
		(void) unlink(dbus_id);

	(void) unlink(hostname);
	if (p->node.hostname && p->n_nodes == 0) {
		_cleanup_free_ char *line = NULL;
		if (asprintf(&line, "%s\n", p->node.hostname) < 0)
			return log_oom();
		r = tree_add_file(b, "/etc/hostname", line, strlen(line), 0644);
		if (r < 0)
			return log_error_errno(r, "Cannot write /etc/hostname: %m");
	}
	return 0;
}

static int tree_kiln_files(Build *b) {
	_cleanup_free_ char *fstab = NULL, *image = NULL, *efi = NULL;
	char var_uuid[UUID_STRING_LEN + 1], version[32];
	int r;

	uuid_to_string(&b->ids.var, var_uuid);
	kubernetes_version_string(b->profile, version);
	/* The initramfs mounts /var (and the /etc overlay on it) before systemd starts; this
	 * line tells systemd what it is and has it grown to its partition. */
	if (asprintf(&fstab, "# kiln: the var partition, mounted by the initramfs\n"
			     "PARTUUID=%s /var ext4 rw,noatime,x-systemd.growfs 0 0\n", var_uuid) < 0)
		return log_oom();

	/* sourceDateEpoch: the node's clock must not be earlier than this (preflight). */
	json_t *img = json_pack("{s:s, s:I, s:s, s:s, s:{s:b, s:s}}",
				"kilnVersion", KILN_VERSION,
				"sourceDateEpoch", (json_int_t) b->epoch,
				"profile", b->profile->name,
				"profileSha256", b->profile_sha256,
				"kubernetes", "present", b->kubernetes_present,
				"version", version);
	if (!img)
		return log_oom();
	if (b->bundle_images) {
		json_t *list = json_array();
		if (!list || json_object_set_new(img, "images", list) < 0) {
			json_decref(img);
			return log_oom();
		}
		/* Sorted by the name containerd lists: the order kilnctl and the checks show. */
		_cleanup_strv_free_ char **pairs = NULL;
		STRV_FOREACH(i, b->bundle_images) {
			_cleanup_free_ char *name = NULL;
			const LockEntry *e = lock_file_find(b->lock, LOCK_IMAGE, *i);
			if (!e || bundle_seed_name(*i, &name) < 0 || strv_extendf(&pairs, "%s %s", name, e->digest) < 0) {
				json_decref(img);
				return log_error_errno(-EINVAL, "Cannot record the image %s in image.json.", *i);
			}
		}
		strv_sort_unique(pairs);
		STRV_FOREACH(pr, pairs) {
			char *space = strchr(*pr, ' ');
			*space = '\0';
			if (json_array_append_new(list, json_pack("{s:s, s:s}", "name", *pr, "digest", space + 1)) < 0) {
				json_decref(img);
				return log_oom();
			}
		}
	}
	/* The addons the supervisor applies, in order (tree_addons()). */
	if (b->image_addons && json_object_set(img, "addons", b->image_addons) < 0) {
		json_decref(img);
		return log_oom();
	}
	image = json_dumps(img, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(img);
	if (!image || asprintf(&efi, "%s/efi", b->tree_dir) < 0)
		return log_oom();

	/* The image's /usr is not newer than its /etc and /var: ldconfig and the journal
	 * catalog are current (dpkg ran them), so ConditionNeedsUpdate= units need not run
	 * at the first boot (about 20 s under emulation). */
	_cleanup_free_ char *updated = NULL;
	if (asprintf(&updated, "TIMESTAMP_NSEC=%llu000000000\n", (unsigned long long) b->epoch) < 0)
		return log_oom();
	static const char repart[] =
		"# kiln: grow the var partition into the rest of the disk at first boot.\n"
		"[Partition]\nType=var\n";
	if ((r = tree_add_file(b, "/etc/fstab", fstab, strlen(fstab), 0644)) < 0 ||
	    (r = tree_add_file(b, "/usr/lib/kiln/profile.yaml", b->profile_text, b->profile_size, 0644)) < 0 ||
	    (r = tree_add_file(b, "/usr/lib/kiln/image.json", image, strlen(image), 0644)) < 0 ||
	    (r = tree_add_file(b, "/usr/lib/repart.d/50-kiln-var.conf", repart, strlen(repart), 0644)) < 0 ||
	    (r = tree_add_file(b, "/etc/.updated", updated, strlen(updated), 0644)) < 0 ||
	    (r = tree_add_file(b, "/var/.updated", updated, strlen(updated), 0644)) < 0)
		return log_error_errno(r, "Cannot write kiln's files into the tree: %m");
	/* systemd-gpt-auto-generator mounts the ESP on /efi; the read-only root must have it. */
	if (mkdir(efi, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "Cannot create /efi: %m");
	return 0;
}

/* containerd's sandbox (pause) image is the profile's: the image seeded and pinned under
 * that name. A different name in the configuration would have containerd pull it for
 * the first pod. The line is replaced in kiln's configuration, then read back the way
 * the bundle reads it. */
static int tree_containerd_config(Build *b) {
	_cleanup_free_ char *path = NULL, *text = NULL, *out = NULL, *check = NULL;
	size_t size;
	int r;

	if (asprintf(&path, "%s/etc/containerd/config.toml", b->tree_dir) < 0)
		return log_oom();
	r = read_full_file(path, &text, &size);
	if (r < 0)
		return log_error_errno(r, "Cannot read %s: %m", path);
	char *line = strstr(text, "\n    sandbox_image = \"");
	char *end = line ? strchr(line + 1, '\n') : NULL;
	if (!end)
		return log_error_errno(-EBADMSG, "%s has no sandbox_image line to set.", path);
	*line = '\0';
	if (asprintf(&out, "%s\n    sandbox_image = \"%s\"%s", text, b->profile->containerd.sandbox_image, end) < 0)
		return log_oom();
	r = containerd_config_sandbox_image(out, &check);
	if (r < 0 || !streq(check, b->profile->containerd.sandbox_image))
		return log_error_errno(r < 0 ? r : -EBADMSG, "The containerd configuration does not name %s after the edit.",
				       b->profile->containerd.sandbox_image);
	r = tree_add_file(b, "/etc/containerd/config.toml", out, strlen(out), 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write the containerd configuration: %m");
	return 0;
}

/* /var lives on its own partition: move it out and leave an empty mount point. */
static int tree_split_var(Build *b) {
	_cleanup_free_ char *var = NULL;
	if (asprintf(&var, "%s/var", b->tree_dir) < 0)
		return log_oom();
	if (rename(var, b->var_tree_dir) < 0)
		return log_error_errno(-errno, "Cannot move /var out of the tree: %m");
	if (mkdir(var, 0755) < 0)
		return log_error_errno(-errno, "Cannot create the /var mount point: %m");
	return 0;
}

int step_tree(Build *b) {
	_cleanup_free_ char *overlay = NULL;
	int r;

	if (!(b->tree_dir = build_work_path(b, "tree")) || !(b->var_tree_dir = build_work_path(b, "var-tree")) ||
	    !(b->esp_tree_dir = build_work_path(b, "esp-tree")) || asprintf(&overlay, "%s/rootfs", b->data_dir) < 0)
		return log_oom();

	if ((r = tree_unpack(b)) < 0 || (r = tree_take_kernel(b)) < 0)
		return r;
	r = tree_copy_dir(b, overlay, "");
	if (r < 0)
		return log_error_errno(r, "Cannot lay %s over the tree: %m", overlay);
	/* The security profiles after Kubernetes: whether it is in the image decides kubeadm's. */
	if ((r = tree_install_units(b)) < 0 || (r = tree_install_payload(b)) < 0 || (r = tree_install_kubernetes(b)) < 0 ||
	    (r = tree_install_security(b)) < 0 || (r = tree_cluster_files(b)) < 0 || (r = tree_containerd_config(b)) < 0 ||
	    (r = tree_identity(b)) < 0 || (r = tree_network(b)) < 0 || (r = tree_addons(b)) < 0 || (r = tree_kiln_files(b)) < 0)
		return r;
	STRV_FOREACH(t, b->opts.extra_trees) {
		r = tree_copy_dir(b, *t, "");
		if (r < 0)
			return log_error_errno(r, "Cannot lay the extra tree %s over the image: %m", *t);
	}
	if ((r = tree_split_var(b)) < 0)
		return r;
	if ((r = tree_clamp_mtimes(b->tree_dir, b->epoch)) < 0 || (r = tree_clamp_mtimes(b->var_tree_dir, b->epoch)) < 0 ||
	    (r = tree_clamp_mtimes(b->esp_tree_dir, b->epoch)) < 0)
		return log_error_errno(r, "Cannot clamp the tree's times: %m");
	return 0;
}
